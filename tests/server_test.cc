// Tests of the HTTP service (tools/server): documents, errors, limits and
// faults, against a server on a free loopback port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "infersave/shipped.h"
#include "server.h"

namespace infersave::server {
namespace {

using nlohmann::json;

class TestServer {
 public:
  explicit TestServer(ServerOptions o) : server_(Prepare(std::move(o))) {
    Status s = server_.Bind();
    EXPECT_TRUE(s.ok()) << s.error().message();
    thread_ = std::thread([this] { server_.Run(); });
    // Wait until it accepts.
    for (int i = 0; i < 200; ++i) {
      if (Client().Get("/healthz")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~TestServer() {
    server_.Stop();
    thread_.join();
  }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", server_.port());
    c.set_read_timeout(60);
    return c;
  }
  int port() const { return server_.port(); }

 private:
  static ServerOptions Prepare(ServerOptions o) {
    o.port = 0;
    o.today = "2026-12-06";
    return o;
  }
  Server server_;
  std::thread thread_;
};

json Body(const httplib::Result& r) { return json::parse(r->body); }

TEST(ServerTest, ListsAndHealth) {
  TestServer s({});
  auto c = s.Client();
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(Body(health)["status"], "ok");

  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(Body(models)["models"].size(), ShippedModelNames().size());
  auto paper = c.Get("/v1/instances?catalog=paper");
  ASSERT_TRUE(paper);
  EXPECT_EQ(Body(paper)["instances"].size(), 4u);  // the paper's Table IV
  auto path = c.Get("/v1/instances?catalog=/etc/passwd.csv");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->status, 400);
  EXPECT_EQ(Body(path)["error"]["field"], "catalog");
  auto engines = c.Get("/v1/engines");
  ASSERT_TRUE(engines);
  EXPECT_EQ(engines->status, 200);

  auto openapi = c.Get("/openapi.json");
  ASSERT_TRUE(openapi);
  const json spec = Body(openapi);
  EXPECT_EQ(spec["openapi"], "3.0.3");
  for (const char* p : {"/healthz", "/v1/models", "/v1/instances", "/v1/engines", "/v1/plan", "/v1/predict",
                        "/v1/simulate", "/openapi.json"}) {
    EXPECT_TRUE(spec["paths"].contains(p)) << p;
  }
  EXPECT_EQ(spec["components"]["schemas"]["JobRequest"]["properties"]["batch_size"]["type"], "integer");
  EXPECT_EQ(spec["components"]["schemas"]["JobRequest"]["properties"]["model_config"]["type"], "object");

  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<html"), std::string::npos);
}

TEST(ServerTest, PlanPredictSimulateAnswerWithTheCliDocuments) {
  TestServer s({});
  auto c = s.Client();
  auto plan = c.Post("/v1/plan", "{}", "application/json");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->status, 200);
  EXPECT_EQ(Body(plan)["recommendation"]["instance"], "g4dn.xlarge");  // as `infersave plan`

  auto online = c.Post("/v1/plan", R"({"catalog": "paper", "model": "llama-3.1-8b", "rate": 2, "slo_ttft_ms": 500,
                                       "sim_requests": 300})",
                       "application/json");
  ASSERT_TRUE(online);
  EXPECT_EQ(online->status, 200) << online->body;
  EXPECT_EQ(Body(online)["mode"], "online");

  auto predict = c.Post("/v1/predict", R"({"instance": "g5.xlarge"})", "application/json");
  ASSERT_TRUE(predict);
  EXPECT_EQ(Body(predict)["prediction"]["instance"], "g5.xlarge");

  auto sim = c.Post("/v1/simulate", R"({"instance": "g5.xlarge", "users": 1, "sim_requests": 20})", "application/json");
  ASSERT_TRUE(sim);
  EXPECT_EQ(sim->status, 200) << sim->body;
  EXPECT_EQ(Body(sim)["ttft"]["p50_ms"], Body(sim)["ttft"]["p99_ms"]);  // one request at a time

  auto emit = c.Post("/v1/plan", R"({"emit": "skypilot"})", "application/json");
  ASSERT_TRUE(emit);
  EXPECT_EQ(emit->status, 200);
  EXPECT_EQ(emit->get_header_value("Content-Type"), "text/plain");
  EXPECT_NE(emit->body.find("instance_type: g4dn.xlarge"), std::string::npos) << emit->body;

  auto none = c.Post("/v1/plan", R"({"emit": "skypilot", "slo_tps": 1e9})", "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 422);
  EXPECT_EQ(Body(none)["error"]["code"], "no_candidate");
}

TEST(ServerTest, BadRequestsGet4xxNamingTheField) {
  TestServer s({});
  auto c = s.Client();
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  const Case cases[] = {
      {R"({"batch_size": -5})", 400, "batch_size"},
      {R"({"batch_size": 1e300})", 400, "batch_size"},
      {R"({"slo_tps": -1})", 400, "slo_tps"},
      {R"({"max_price": -3})", 400, "max_price"},
      {R"({"model": "no-such-model"})", 400, "model"},
      {R"({"model": "/etc/passwd.json"})", 400, "model"},
      {R"({"catalog": "../../etc/shadow.csv"})", 400, "catalog"},
      {R"({"rate": 1, "trace": "/etc/trace.csv"})", 400, "trace"},
      {R"({"rate": 1, "prompt_tokens": "file:/etc/passwd"})", 400, "prompt_tokens"},
      {R"({"rate": 1, "sim_requests": 100000000})", 400, "sim_requests"},
      {R"({"rate": -1})", 400, "rate"},
      {R"({"bogus": 1})", 400, "bogus"},
      {R"({"model_config": {"model_type": "llama"}})", 400, "model_config"},
      {"{\"model\": ", 400, ""},
      {"[]", 400, ""},
      {"", 400, ""},
  };
  for (const Case& k : cases) {
    auto r = c.Post("/v1/plan", k.body, "application/json");
    ASSERT_TRUE(r) << k.body;
    EXPECT_EQ(r->status, k.status) << k.body << "\n" << r->body;
    const json e = Body(r);
    EXPECT_EQ(e["error"]["field"], k.field) << k.body;
    EXPECT_FALSE(e["error"]["message"].get<std::string>().empty());
  }
  auto predict = c.Post("/v1/predict", R"({"instance": "g5.xlarg"})", "application/json");
  ASSERT_TRUE(predict);
  EXPECT_EQ(predict->status, 400);
  EXPECT_EQ(Body(predict)["error"]["code"], "not_found");
  EXPECT_NE(Body(predict)["error"]["message"].get<std::string>().find("g5.xlarge"), std::string::npos);

  auto route = c.Get("/v1/nothing");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->status, 404);
  EXPECT_EQ(Body(route)["error"]["code"], "not_found");
  // And the server goes on serving.
  auto after = c.Post("/v1/plan", "{}", "application/json");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST(ServerTest, LargeBodiesGet413) {
  ServerOptions o;
  o.max_body_bytes = 1024;
  TestServer s(o);
  auto c = s.Client();
  const std::string big = "{\"model\": \"" + std::string(4096, 'x') + "\"}";
  auto r = c.Post("/v1/plan", big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(Body(r)["error"]["code"], "payload_too_large");
  auto after = c.Get("/healthz");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST(ServerTest, RunsPastTheLimitGet504) {
  ServerOptions o;
  o.run_limit = std::chrono::milliseconds(1);
  TestServer s(o);
  auto c = s.Client();
  // An online plan over the whole aws catalog runs for seconds.
  auto r = c.Post("/v1/plan", R"({"model": "llama-3.1-8b", "rate": 5, "slo_ttft_ms": 500})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504) << r->body;
  EXPECT_EQ(Body(r)["error"]["code"], "cancelled");
}

TEST(ServerTest, SaturatedServerAnswers503) {
  ServerOptions o;
  o.max_running = 1;
  o.queue_wait = std::chrono::milliseconds(0);
  o.run_limit = std::chrono::milliseconds(1500);
  TestServer s(o);
  std::thread slow([&] {
    auto c = s.Client();
    (void)c.Post("/v1/plan", R"({"model": "llama-3.1-8b", "rate": 5, "slo_ttft_ms": 500})", "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto c = s.Client();
  auto r = c.Post("/v1/plan", "{}", "application/json");
  slow.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  auto after = c.Post("/v1/plan", "{}", "application/json");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

// Resident memory of this process, bytes.
long ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST(ServerTest, ABurstOf200ConcurrentPlansAllSucceedAndMemoryStaysFlat) {
  TestServer s({});
  std::mutex mu;
  std::vector<std::string> failures;
  const auto burst = [&] {
    std::atomic<int> ok{0};
    failures.clear();
    std::vector<std::thread> clients;
    for (int i = 0; i < 200; ++i) {
      clients.emplace_back([&, i] {
        auto c = s.Client();
        const std::string body = "{\"catalog\": \"paper\", \"batch_size\": " + std::to_string(8 + i % 64) + "}";
        auto r = c.Post("/v1/plan", body, "application/json");
        if (r && r->status == 200 && !json::parse(r->body)["candidates"].empty()) {
          ++ok;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(r ? std::to_string(r->status) + " " + r->body.substr(0, 200) : httplib::to_string(r.error()));
        }
      });
    }
    for (auto& t : clients) t.join();
    for (size_t i = 0; i < failures.size() && i < 3; ++i) ADD_FAILURE() << failures[i];
    return ok.load();
  };
  EXPECT_EQ(burst(), 200);
  const long before = ResidentBytes();
  EXPECT_EQ(burst(), 200);
  EXPECT_EQ(burst(), 200);
  const long after = ResidentBytes();
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer keeps freed memory in quarantine (256 MB), so resident
  // memory grows by design; LeakSanitizer checks for leaks at exit instead.
  (void)before;
  (void)after;
#else
  EXPECT_LT(after - before, 32L << 20) << "resident memory grew from " << before << " to " << after;
#endif
}

TEST(ServerTest, AStalledClientIsDroppedAndOthersAreServed) {
  ServerOptions o;
  o.io_timeout = std::chrono::seconds(1);
  TestServer s(o);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string partial = "POST /v1/plan HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mo";
  ASSERT_EQ(send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  // Meanwhile the server answers others.
  auto c = s.Client();
  auto r = c.Post("/v1/plan", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // After its timeout the stalled connection is closed (EOF, perhaps after an error answer).
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  ssize_t n = 0;
  std::string got;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(n, 0) << "the connection should be closed, got errno " << errno;
  close(fd);
}

}  // namespace
}  // namespace infersave::server
