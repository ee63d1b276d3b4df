// Starting a thread the way bnnc's pools do. The machine may refuse (EAGAIN: no memory for the
// stack under an address-space limit, a process limit): std::thread's constructor then throws
// std::system_error, and a pool that is half started must not be destroyed with joinable
// std::threads in it (std::terminate, "terminate called without an active exception"). So the
// pools hold std::jthread, which joins when destroyed, and the refusal becomes an InternalError
// naming the thread (exit 3, one line: it is the machine's limit, not the user's input, once
// --threads is in range).
#pragma once

#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "core/error.h"

namespace bnnc {

// Starts body on a new thread, thread `index` (0-based) of `count`.
template <typename Body>
std::jthread start_thread(Body&& body, int index, int count) {
  try {
    return std::jthread(std::forward<Body>(body));
  } catch (const std::system_error& error) {
    throw InternalError("cannot start thread " + std::to_string(index + 1) + " of " +
                        std::to_string(count) + ": " + error.what());
  }
}

}  // namespace bnnc
