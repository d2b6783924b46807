// When the holder is told of a new document (a rule of notify/, attached as a hook on the
// resource store, access/hooks.h): a DocumentReference added to their space by someone else —
// a professional, a representative, a delegate — is told to the holder at once, by the channel
// they chose for new documents, naming who added it and when, never what it says. A result its
// professional author withholds until the announcement consultation is told only when it is
// released (documents/withheld.h). The holder's own additions are not told. Live views of the
// space hear of it on kDocumentsChannel.
#pragma once

#include "access/hooks.h"

namespace carnet::notify {

inline constexpr char kDocumentsChannel[] = "documents";

void register_notice_hooks(access::HookRegistry& hooks);

}  // namespace carnet::notify
