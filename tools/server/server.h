// `infersave server`: the planner as an HTTP/1.1 JSON API and a web page
// (issue 14). A front end only: requests map onto the library's JobRequest
// (ParseJobRequest), run through RunPlanRequest and friends with a file
// source that refuses every path, and answer with the documents that
// `--format json` prints.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "infersave/status.h"

namespace infersave::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless told otherwise
  int port = 8080;                 // 0 = any free port (see Server::port)
  // Worker threads answering connections (0 = one per core, at least 4).
  size_t threads = 0;
  // Plans, predictions and simulations running at once (0 = one per core).
  size_t max_running = 0;
  // How long a request waits for a free slot before it is answered 503.
  std::chrono::milliseconds queue_wait{10'000};
  // How long a plan or simulation may run before it is answered 504.
  std::chrono::milliseconds run_limit{30'000};
  size_t max_body_bytes = 4 << 20;        // larger bodies get 413
  int64_t max_sim_requests = 20'000;      // sim_requests above it get 400
  int64_t max_users = 10'000;             // simulate: closed-loop users
  std::chrono::seconds io_timeout{10};    // a client that stalls longer is dropped
  std::string today;                      // YYYY-MM-DD for every request ("" = the system date)
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the address; fails with kIo naming it.
  Status Bind();
  // The bound port (after Bind).
  int port() const;
  // Serves until Stop(); returns when the listening socket closes.
  void Run();
  // Stops Run() from any thread.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace infersave::server
