#include "core/deferred.h"

#include <utility>

namespace carnet {
namespace {
thread_local DeferredWaits::Scope* current = nullptr;
}  // namespace

DeferredWaits::Scope::Scope() : previous_(current) { current = this; }
DeferredWaits::Scope::~Scope() { current = previous_; }
std::vector<DeferredWaits::Wait> DeferredWaits::Scope::take() { return std::exchange(waits_, {}); }

bool DeferredWaits::collecting() { return current != nullptr; }
void DeferredWaits::add(Wait wait) { current->waits_.push_back(std::move(wait)); }

}  // namespace carnet
