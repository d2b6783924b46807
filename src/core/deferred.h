// Responses that wait for durable side effects without holding a thread.
//
// A handler running on a worker may start a write that must be durable before the client is
// answered (an audit event, group-committed with others). Instead of blocking the worker,
// the write registers a wait here; the server sends the response once every wait of the
// request has completed — or an error if one of them failed. Outside a request (tools,
// tests), nothing is collected and writers block as usual.
#pragma once

#include <functional>
#include <vector>

#include "core/status.h"

namespace carnet {

class DeferredWaits {
 public:
  // Calls its argument with the outcome once the write is durable (possibly at once, on the
  // calling thread, or later on another thread).
  using Wait = std::function<void(std::function<void(Status)>)>;

  // Collects the waits registered on this thread while it lives.
  class Scope {
   public:
    Scope();
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    std::vector<Wait> take();

   private:
    friend class DeferredWaits;
    std::vector<Wait> waits_;
    Scope* previous_;
  };

  // Whether a Scope is collecting on this thread.
  static bool collecting();
  // Adds a wait to the current Scope. REQUIRES: collecting().
  static void add(Wait wait);
};

}  // namespace carnet
