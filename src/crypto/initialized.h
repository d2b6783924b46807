// Inside crypto/ only: for the functions that have no error to return (random bytes, keys,
// nonces). The processes initialise libsodium when they open the key ring and stop there if it
// fails (crypto::initialize), so this only fires in a program that skipped that step on a
// machine without randomness. Stopping is then the one safe answer (libsodium itself aborts
// when its random source fails): no key or nonce is ever made weak.
#pragma once

namespace carnet::crypto {

void require_initialized();

}  // namespace carnet::crypto
