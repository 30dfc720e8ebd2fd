// `infersave server`: the HTTP API and web page (tools/server).
#include <iostream>

#include "common.h"
#include "server.h"

namespace infersave::cli {

int RunServer(const server::ServerOptions& options) {
  server::Server srv(options);
  if (Status s = srv.Bind(); !s.ok()) return ReportError(s.error());
  std::cerr << "infersave: serving on http://" << options.host << ':' << srv.port() << "/ (API: /openapi.json)"
            << std::endl;
  srv.Run();
  return kExitOk;
}

}  // namespace infersave::cli
