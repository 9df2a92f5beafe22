// ThreadSanitizer support for cpp-httplib, used where a server starts (src/http, src/sandbox).
// Private to src/; a no-op unless built with -fsanitize=thread.
#pragma once

#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace planfix_flow::http::internal {

// Debian ships cpp-httplib as a shared library built without TSan. Server::parse_request_line
// keeps a function-local `static const std::set<std::string>` of methods: the first worker
// thread builds it under the static's guard, and a worker that comes later takes the guard's
// inline fast path, a load TSan cannot see in uninstrumented code, then reads the set with an
// intercepted memcmp. TSan reports that read as racing with the first worker's memcpy (a false
// positive that no suppression can name without also hiding races in our own handlers, whose
// stacks pass through the library too). So, once per process and before any real server
// starts, a throwaway loopback server parses one request and its threads are joined: every
// later thread then happens after the set was built, as TSan can see.
inline void PrepareHttplibForTsan() {
#if defined(__SANITIZE_THREAD__)
  static std::once_flag once;
  std::call_once(once, [] {
    httplib::Server server;
    server.Get("/",
               [](const httplib::Request&, httplib::Response& response) { response.status = 204; });
    const int port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) return;
    std::atomic<bool> returned{false};
    std::thread listener([&] {
      server.listen_after_bind();
      returned = true;
    });
    while (!server.is_running() && !returned) std::this_thread::yield();
    if (server.is_running()) {
      {
        httplib::Client client("127.0.0.1", port);
        client.set_keep_alive(false);
        (void)client.Get("/");
      }
      server.stop();
    }
    listener.join();
  });
#endif
}

}  // namespace planfix_flow::http::internal
