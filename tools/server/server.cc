// The HTTP service (server.h): routing, limits and error bodies. Every
// answer about a plan comes from the library.
#include "server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "infersave/file_source.h"
#include "infersave/job.h"
#include "infersave/report.h"
#include "infersave/shipped.h"

namespace infersave {
// The web page's files (web/), embedded by cmake/embed_data.cmake.
extern const ShippedFile kWebFiles[];
extern const size_t kWebFilesCount;
}  // namespace infersave

namespace infersave::server {

namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";

json ErrorBody(std::string_view code, std::string_view field, std::string_view message) {
  return json{{"error", {{"code", code}, {"field", field}, {"message", message}}}};
}

// The HTTP status of a library error: the request's fault, the time limit,
// or ours.
int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kInvalidInput:
    case ErrorCode::kNotFound:
    case ErrorCode::kIo: return 400;
    case ErrorCode::kCancelled: return 504;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

void SendError(httplib::Response& res, const Error& e) {
  res.status = StatusFor(e.code());
  res.set_content(ErrorBody(ErrorCodeName(e.code()), RequestField(e.field()), e.message(RequestField)).dump(2) + "\n",
                  kJson);
}

std::string StatusText(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request body too large";
    case 414: return "request URI too long";
    case 422: return "nothing qualifies";
    case 500: return "internal error";
    case 503: return "server busy";
    case 504: return "time limit exceeded";
    default: return fmt::format("HTTP {}", status);
  }
}

std::string ContentType(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js") || path.ends_with(".mjs")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

// Bounds the plans running at once: a request waits for a slot at most
// `wait`, then is turned away (503).
class Admission {
 public:
  explicit Admission(size_t slots) : free_(slots) {}
  bool Acquire(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return free_ > 0; })) return false;
    --free_;
    return true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t free_;
};

enum class Endpoint { kPlan, kPredict, kSimulate };

json OpenApi() {
  json fields = json::object();
  for (const std::string& name : JobRequestFields()) fields[name] = {{"type", JobRequestFieldType(name)}};
  const json error_ref = {{"$ref", "#/components/schemas/Error"}};
  const auto errors = [&](std::initializer_list<int> codes) {
    json out = json::object();
    for (int code : codes) {
      out[std::to_string(code)] = {{"description", StatusText(code)},
                                   {"content", {{kJson, {{"schema", error_ref}}}}}};
    }
    return out;
  };
  const auto run = [&](std::string summary, std::string document) {
    json responses = errors({400, 413, 503, 504});
    responses["200"] = {{"description", document},
                        {"content", {{kJson, {{"schema", {{"type", "object"}}}}}, {"text/plain", {{"schema", {{"type", "string"}}}}}}}};
    return json{{"post",
                 {{"summary", summary},
                  {"requestBody",
                   {{"required", true},
                    {"content", {{kJson, {{"schema", {{"$ref", "#/components/schemas/JobRequest"}}}}}}}}},
                  {"responses", responses}}}};
  };
  const auto list = [&](std::string summary) {
    json responses = errors({400});
    responses["200"] = {{"description", summary}, {"content", {{kJson, {{"schema", {{"type", "object"}}}}}}}};
    return json{{"get", {{"summary", summary}, {"responses", responses}}}};
  };
  json instances = list("a catalog's instances (as `infersave instances --format json`)");
  instances["get"]["parameters"] = json::array(
      {{{"name", "catalog"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}, {"default", "aws"}}},
        {"description", "a shipped catalog: aws, gcp, azure or paper"}}});
  return json{
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "InferSave"},
        {"version", LibraryVersion()},
        {"description",
         "The cheapest cloud GPU instances for an LLM workload. Request fields are the CLI's long options with "
         "underscores; responses are the documents `--format json` prints."}}},
      {"paths",
       {{"/healthz", list("liveness: {\"status\": \"ok\"}")},
        {"/v1/models", list("the shipped models (as `infersave models --format json`)")},
        {"/v1/instances", instances},
        {"/v1/engines", list("the shipped engine profiles (as `infersave engines --format json`)")},
        {"/v1/plan", run("the cheapest instance for a batch job or a service (rate, slo_ttft_ms, slo_tpot_ms); with "
                         "emit, the deployment text",
                         "the plan document (`infersave plan --format json`)")},
        {"/v1/predict", run("one instance's memory, time and cost (needs instance)",
                            "the prediction document (`infersave predict --format json`)")},
        {"/v1/simulate", run("one instance under a request stream (needs instance, and rate or users)",
                             "the simulation document (`infersave simulate --format json`)")},
        {"/openapi.json", list("this description")}}},
      {"components",
       {{"schemas",
         {{"JobRequest", {{"type", "object"}, {"additionalProperties", false}, {"properties", fields}}},
          {"Error",
           {{"type", "object"},
            {"properties",
             {{"error",
               {{"type", "object"},
                {"properties",
                 {{"code", {{"type", "string"}}}, {"field", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}}}}}}};
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions opts)
      : o(std::move(opts)),
        admission(o.max_running > 0 ? o.max_running : std::max(1u, std::thread::hardware_concurrency())) {}

  std::string Today() const { return o.today.empty() ? CurrentDate() : o.today; }

  // Limits of this server on top of the library's checks.
  Status CheckLimits(const JobRequest& r) const {
    if (r.sim_requests > o.max_sim_requests) {
      return InvalidField("sim_requests", fmt::format("must be at most {} on this server, got {}", o.max_sim_requests,
                                                      r.sim_requests));
    }
    if (r.users > o.max_users) {
      return InvalidField("users", fmt::format("must be at most {} on this server, got {}", o.max_users, r.users));
    }
    return Status::Ok();
  }

  void Run(Endpoint endpoint, const httplib::Request& req, httplib::Response& res) {
    auto request = ParseJobRequest(req.body);
    if (!request.ok()) return SendError(res, request.error());
    JobRequest& r = *request;
    if (!r.Given("format")) r.format = "json";
    if (Status s = CheckLimits(r); !s.ok()) return SendError(res, s.error());
    if (!admission.Acquire(o.queue_wait)) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_content(ErrorBody("unavailable", "", "the server is busy: every planning slot stayed taken; retry later")
                              .dump(2) + "\n",
                      kJson);
      return;
    }
    struct Slot {
      Admission& a;
      ~Slot() { a.Release(); }
    } slot{admission};
    const auto deadline = std::chrono::steady_clock::now() + o.run_limit;
    RunHooks hooks;
    hooks.cancelled = [deadline] { return std::chrono::steady_clock::now() > deadline; };
    std::ostringstream out;
    Result<Outcome> outcome = Outcome{};
    switch (endpoint) {
      case Endpoint::kPlan: outcome = RunPlanRequest(r, NoFiles(), Today(), out, hooks); break;
      case Endpoint::kPredict: outcome = RunPredictRequest(r, NoFiles(), Today(), out); break;
      case Endpoint::kSimulate: outcome = RunSimulateRequest(r, NoFiles(), Today(), out, hooks); break;
    }
    if (!outcome.ok()) {
      if (outcome.error().code() == ErrorCode::kCancelled) {
        return SendError(res, Cancelled(fmt::format("the request ran past this server's limit of {} s; narrow it "
                                                    "(a smaller catalog, max_price, fewer sim_requests)",
                                                    o.run_limit.count() / 1000.0)));
      }
      return SendError(res, outcome.error());
    }
    if (!outcome->note.empty()) {
      res.status = 422;
      res.set_content(ErrorBody("no_candidate", "", RenderFieldRefs(outcome->note, RequestField)).dump(2) + "\n",
                      kJson);
      return;
    }
    const bool json_out = r.emit.empty() && r.format == "json";
    res.set_content(out.str(), json_out ? kJson : (r.format == "csv" && r.emit.empty() ? "text/csv" : "text/plain"));
  }

  void List(const httplib::Request& req, httplib::Response& res, const std::string& what) {
    std::ostringstream out;
    Status s = Status::Ok();
    if (what == "models") {
      s = WriteModelList(out, "json");
    } else if (what == "engines") {
      s = WriteEngineList(out, "json");
    } else {
      const std::string catalog = req.has_param("catalog") ? req.get_param_value("catalog") : "aws";
      s = WriteInstanceList(catalog, "", NoFiles(), out, "json");
    }
    if (!s.ok()) return SendError(res, s.error());
    res.set_content(out.str(), kJson);
  }

  void Routes() {
    for (auto [path, endpoint] : {std::pair{"/v1/plan", Endpoint::kPlan}, std::pair{"/v1/predict", Endpoint::kPredict},
                                  std::pair{"/v1/simulate", Endpoint::kSimulate}}) {
      http.Post(path, [this, endpoint = endpoint](const httplib::Request& req, httplib::Response& res) {
        Run(endpoint, req, res);
      });
    }
    for (const char* what : {"models", "engines", "instances"}) {
      http.Get(std::string("/v1/") + what, [this, what](const httplib::Request& req, httplib::Response& res) {
        List(req, res, what);
      });
    }
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(json{{"status", "ok"}, {"tool", "infersave"}, {"version", LibraryVersion()}}.dump() + "\n", kJson);
    });
    const std::string openapi = OpenApi().dump(2) + "\n";
    http.Get("/openapi.json",
             [openapi](const httplib::Request&, httplib::Response& res) { res.set_content(openapi, kJson); });
    for (size_t i = 0; i < kWebFilesCount; ++i) {
      const ShippedFile& file = kWebFiles[i];
      const std::string route = file.path == "index.html" ? "/" : "/" + std::string(file.path);
      const std::string type = ContentType(file.path);
      http.Get(route, [&file, type](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(file.text), type);
        res.set_header("Cache-Control", "no-cache");
      });
    }
  }

  void Configure() {
    const size_t threads = o.threads > 0 ? o.threads : std::max(32u, 4 * std::thread::hardware_concurrency());
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(o.max_body_bytes);
    http.set_read_timeout(o.io_timeout);
    http.set_write_timeout(o.io_timeout);
    http.set_keep_alive_timeout(2);
    // httplib listens with a backlog of 5, too short for a burst of
    // clients connecting at once (they would see resets); the socket is
    // noted here and listen() raises it after the bind.
    http.set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      listen_socket = sock;
    });
    http.set_keep_alive_max_count(1000);
    http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"Content-Security-Policy",
                               "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'"},
                              {"Referrer-Policy", "no-referrer"}});
    // Answers without a body (unknown route, wrong method, 413, bad request
    // line) get a JSON error body too.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string message;
      if (res.status == 404) {
        message = fmt::format("no such endpoint: {} {} (see /openapi.json)", req.method, req.path);
      } else {
        message = StatusText(res.status);
      }
      const std::string code = res.status == 413 ? "payload_too_large" : res.status == 404 ? "not_found" : "bad_request";
      res.set_content(ErrorBody(code, "", message).dump(2) + "\n", kJson);
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      res.status = 500;
      res.set_content(ErrorBody("internal", "", "internal error: " + what).dump(2) + "\n", kJson);
    });
    Routes();
  }

  ServerOptions o;
  Admission admission;
  httplib::Server http;
  int bound_port = 0;
  socket_t listen_socket = INVALID_SOCKET;
};

namespace {
// A longer queue of connections waiting for accept() (see Configure).
void RaiseBacklog(socket_t sock) {
  if (sock != INVALID_SOCKET) ::listen(sock, SOMAXCONN);
}
}  // namespace

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) { impl_->Configure(); }

Server::~Server() { Stop(); }

Status Server::Bind() {
  Impl& s = *impl_;
  if (s.o.port < 0 || s.o.port > 65535) {
    return InvalidField("port", fmt::format("must be between 0 and 65535, got {}", s.o.port));
  }
  if (s.o.port == 0) {
    s.bound_port = s.http.bind_to_any_port(s.o.host);
    if (s.bound_port < 0) return IoError(fmt::format("cannot listen on {} (any port)", s.o.host));
    RaiseBacklog(s.listen_socket);
    return Status::Ok();
  }
  if (!s.http.bind_to_port(s.o.host, s.o.port)) {
    return IoError(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", s.o.host,
                               s.o.port));
  }
  s.bound_port = s.o.port;
  RaiseBacklog(s.listen_socket);
  return Status::Ok();
}

int Server::port() const { return impl_->bound_port; }

void Server::Run() { impl_->http.listen_after_bind(); }

void Server::Stop() {
  if (impl_) impl_->http.stop();
}

}  // namespace infersave::server
