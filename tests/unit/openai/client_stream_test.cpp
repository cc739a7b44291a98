// The client against the scripted server over real loopback sockets: every transcript, write plans,
// keep-alive reuse, request headers, non-streaming calls and Chat Completions.
#include "client_support.hpp"

using namespace chatkit::openai;
using namespace chatkit::openai::test;
using chatkit::openai::testing::exchange;
using chatkit::openai::testing::ending;
using chatkit::openai::testing::frame_sse;
using chatkit::openai::testing::scripted_server;
using chatkit::openai::testing::sse_framing;
using chatkit::openai::testing::write_plan;

TEST_CASE("client: T1_text over HTTP in every write plan", "[openai][client]") {
  for (auto plan : {write_plan::whole(), write_plan::per_event(), write_plan::split_every(1),
                    write_plan::split_every(7)}) {
    scripted_server server;
    server.add(exchange::sse(fixture("T1_text.sse"), "req_t1", plan));
    auto r = stream_from(server);
    REQUIRE_FALSE(r.error);
    CHECK(r.events.size() == 11);
    CHECK(text_deltas(r) == std::vector<std::string>{"Hello", ", world", "!"});
    CHECK(r.final.output_text() == "Hello, world!");
    REQUIRE(r.final.usage);
    CHECK(r.final.usage->input_tokens == 12);
    CHECK(r.final.usage->output_tokens == 4);
    CHECK(r.final.usage->total_tokens == 16);
    CHECK(r.request_id == "req_t1");
    CHECK(r.final.request_id == "req_t1");

    auto reqs = server.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].method == "POST");
    CHECK(reqs[0].target == "/v1/responses");
    CHECK(reqs[0].header("Authorization") == "Bearer test-key");
    CHECK(reqs[0].header("Content-Type") == "application/json");
    CHECK(reqs[0].header("Accept") == "text/event-stream");
    CHECK(reqs[0].header("User-Agent") == std::string("chatkit-cpp/") + CHATKIT_VERSION_STRING);
    CHECK_FALSE(reqs[0].has_header("OpenAI-Organization"));
    CHECK_FALSE(reqs[0].has_header("OpenAI-Project"));
    CHECK_FALSE(reqs[0].has_header("Idempotency-Key"));
    auto body = reqs[0].json().as_object();
    CHECK(body.at("stream") == true);
    CHECK(body.at("model") == "gpt-test");
  }
}

TEST_CASE("client: P1_edge (CRLF, comment, id, retry, split data) equals T1", "[openai][client]") {
  for (auto plan : {write_plan::whole(), write_plan::per_event(), write_plan::split_every(1),
                    write_plan::split_every(7)}) {
    scripted_server server;
    server.add(exchange::sse(fixture("P1_edge.sse"), "req_p1", plan));
    auto r = stream_from(server);
    REQUIRE_FALSE(r.error);
    CHECK(r.events.size() == 11);
    CHECK(r.final.output_text() == "Hello, world!");
    CHECK(r.final.usage->total_tokens == 16);
  }
}

TEST_CASE("client: T2 and T3 reuse one keep-alive connection", "[openai][client]") {
  scripted_server server;
  server.add(exchange::sse(fixture("T2_tool_then_text_1.sse"), "req_t2a"));
  server.add(exchange::sse(fixture("T2_tool_then_text_2.sse"), "req_t2b", write_plan::split_every(3)));
  server.add(exchange::sse(fixture("T3_parallel_calls_1.sse"), "req_t3a"));
  server.add(exchange::sse(fixture("T3_parallel_calls_2.sse"), "req_t3b", write_plan::whole()));
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));

  auto t2a = run_sync(ioc, collect(c, hello_request()));
  REQUIRE_FALSE(t2a.error);
  auto calls = t2a.final.function_calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]->call_id == "call_t2");
  CHECK(calls[0]->arguments == "{\"city\":\"Paris\"}");

  auto t2b = run_sync(ioc, collect(c, hello_request()));
  REQUIRE_FALSE(t2b.error);
  CHECK(t2b.final.output_text() ==
        "It is 18\xC2\xB0"
        "C in Paris.");
  CHECK(t2b.final.usage->cached_tokens == 64);
  CHECK(t2b.request_id == "req_t2b");

  auto t3a = run_sync(ioc, collect(c, hello_request()));
  REQUIRE_FALSE(t3a.error);
  REQUIRE(t3a.final.function_calls().size() == 2);
  CHECK(t3a.final.function_calls()[1]->call_id == "call_t3b");
  auto t3b = run_sync(ioc, collect(c, hello_request()));
  REQUIRE_FALSE(t3b.error);
  CHECK(t3b.final.output_text() == "Paris 18, Tokyo 25.");

  CHECK(server.requests().size() == 4);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("client: T5 family over the wire", "[openai][client]") {
  SECTION("error event: four events, then stream_error, no retry") {
    for (const char* name : {"T5_error_mid_stream.sse", "T5b_error_nested.sse"}) {
      scripted_server server;
      server.add(exchange::sse(fixture(name), "req_t5"));
      auto r = stream_from(server);
      CHECK(r.events.size() == 4);
      REQUIRE(r.error);
      CHECK(r.error->kind() == errc::stream_error);
      CHECK(r.error->error_code() == "server_error");
      CHECK(r.error->request_id() == "req_t5");
      CHECK(server.requests().size() == 1);
    }
  }
  SECTION("response.failed ends the stream normally with a failed response") {
    scripted_server server;
    server.add(exchange::sse(fixture("T5c_failed.sse"), "req_t5"));
    auto r = stream_from(server);
    REQUIRE_FALSE(r.error);
    CHECK(r.final.status == "failed");
    CHECK(r.final.error_code == "server_error");
    CHECK(r.final.error_message == "The server had an error while processing your request.");
  }
  SECTION("response.incomplete") {
    scripted_server server;
    server.add(exchange::sse(fixture("T5d_incomplete.sse"), "req_t5"));
    auto r = stream_from(server);
    REQUIRE_FALSE(r.error);
    CHECK(r.final.status == "incomplete");
    CHECK(r.final.incomplete_reason == "max_output_tokens");
  }
}

TEST_CASE("client: truncated connections", "[openai][client]") {
  SECTION("T6: chunked body aborted mid-event") {
    scripted_server server;
    auto x = exchange::sse(fixture("T6_truncated.sse"), "req_t6");
    x.end = chatkit::openai::testing::ending::abort;
    server.add(x);
    auto r = stream_from(server);
    CHECK(r.events.size() == 4);
    REQUIRE(r.error);
    CHECK(r.error->kind() == errc::stream_truncated);
    CHECK(r.error->request_id() == "req_t6");
    CHECK(server.requests().size() == 1);
  }
  SECTION("T6b: body delimited by close, clean EOF without a terminal event") {
    scripted_server server;
    auto x = exchange::sse(fixture("T6_truncated.sse"), "req_t6");
    x.headers = {{"Content-Type", "text/event-stream; charset=utf-8"},
                 {"x-request-id", "req_t6"},
                 {"Connection", "close"}};
    x.chunked = false;
    x.content_length = false;
    server.add(x);
    auto r = stream_from(server);
    CHECK(r.events.size() == 4);
    REQUIRE(r.error);
    CHECK(r.error->kind() == errc::stream_truncated);
    CHECK(server.requests().size() == 1);
  }
}

// A body delimited by the server's close ends the connection's use, also when the server only half-closes
// (a lingering close): the EOF was read, so the next call must not be written on that connection, where
// its answer would never come and the call would wait out the read timeout.
TEST_CASE("client: a response delimited by the server's close is not pooled, even after a half-close",
          "[openai][client]") {
  scripted_server server;
  auto first = exchange::json(200, R"({"object":"list","data":[]})", {{"x-request-id", "req_1"}});
  first.headers = {{"Content-Type", "application/json"}, {"x-request-id", "req_1"}};  // no Content-Length
  first.content_length = false;
  first.end = ending::half_close;
  server.add(first);
  server.add(exchange::json(200, R"({"object":"list","data":[]})", {{"x-request-id", "req_2"}}));
  net::io_context ioc;
  auto opts = client_options_for(server);
  opts.read_timeout = std::chrono::seconds(20);
  opts.max_retries = 0;
  client c(ioc.get_executor(), opts);
  for (int i = 0; i < 2; ++i) {
    const auto r = run_sync(ioc, c.post("/embeddings", {{"input", "hi"}}));
    CHECK(r.at("object").as_string() == "list");
  }
  CHECK(server.requests().size() == 2);
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("client: Chat Completions streaming", "[openai][client][chat]") {
  scripted_server server;
  server.add(exchange::sse(fixture("C1_text.sse"), "req_c1", write_plan::split_every(5)));
  server.add(exchange::sse(fixture("C2_parallel_tools.sse"), "req_c2"));
  server.add(exchange::sse(fixture("T5e_chat_error.sse"), "req_c5"));
  net::io_context ioc;
  client c(ioc.get_executor(), client_options_for(server));
  auto [c1, e1] = run_sync(ioc, stream_chat(c));
  REQUIRE_FALSE(e1);
  CHECK(c1.choices.at(0).content == "Hello, world!");
  CHECK(c1.usage->total_tokens == 16);
  CHECK(c1.request_id == "req_c1");
  auto [c2, e2] = run_sync(ioc, stream_chat(c));
  REQUIRE_FALSE(e2);
  REQUIRE(c2.choices.at(0).tool_calls.size() == 2);
  CHECK(c2.choices[0].tool_calls[0].arguments == "{\"city\": \"Paris\"}");
  CHECK(c2.choices[0].tool_calls[1].arguments == "{\"city\": \"Tokyo\"}");
  CHECK(c2.choices[0].finish_reason == "tool_calls");
  auto [c5, e5] = run_sync(ioc, stream_chat(c));
  REQUIRE(e5);
  CHECK(e5->kind() == errc::stream_error);
  CHECK(e5->type() == "server_error");

  auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].target == "/v1/chat/completions");
  auto body = reqs[0].json().as_object();
  CHECK(body.at("stream") == true);
  CHECK(body.at("stream_options").at("include_usage") == true);
}

TEST_CASE("client: Chat SSE framing variants of real servers", "[openai][client][chat][framing]") {
  // Text in two chunks, the finish, then a usage-only chunk (stream_options.include_usage).
  const std::vector<std::string> chunks = {
      R"({"id":"f","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]})",
      R"({"id":"f","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]})",
      R"({"id":"f","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
      R"({"id":"f","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})"};
  struct variant {
    const char* name;
    sse_framing framing;
    bool content_type = true;
  };
  const variant variants[] = {
      {"LF", {}},
      {"CRLF", {.line_end = "\r\n"}},
      {"CR", {.line_end = "\r"}},
      {"comments", {.comments = true}},
      {"event/id/retry lines", {.fields = true}},
      {"multi-line data", {.multi_line_data = true}},
      {"everything at once over CRLF",
       {.line_end = "\r\n", .comments = true, .fields = true, .multi_line_data = true}},
      {"no Content-Type", {}, false},
      {"[DONE] missing after a complete stream", {.done = false}},
  };
  for (const auto& v : variants) {
    for (auto plan : {write_plan::whole(), write_plan::split_every(3)}) {
      DYNAMIC_SECTION(
          v.name << (plan.mode == write_plan::kind::whole ? " (one write)" : " (3-byte writes)")) {
        scripted_server server;
        auto x = exchange::sse(frame_sse(chunks, v.framing), "req_f", plan);
        if (!v.content_type)
          std::erase_if(x.headers, [](const auto& h) { return h.first == "Content-Type"; });
        server.add(std::move(x));
        net::io_context ioc;
        client c(ioc.get_executor(), client_options_for(server));
        auto [done, err] = run_sync(ioc, stream_chat(c));
        CHECK_FALSE(err);
        REQUIRE(done.choices.size() == 1);
        CHECK(done.choices[0].content == "Hello");
        CHECK(done.choices[0].finish_reason == "stop");
        REQUIRE(done.usage);
        CHECK(done.usage->total_tokens == 5);
      }
    }
  }
}

TEST_CASE("client: non-streaming calls and header configuration", "[openai][client]") {
  scripted_server server;
  const std::string t1 = fixture("T1_text.sse");
  // The non-streaming answer is the final Response object of T1.
  const auto completed_at = t1.find("data: {\"type\":\"response.completed\"");
  auto completed = boost::json::parse(
      std::string_view(t1).substr(completed_at + 6, t1.find('\n', completed_at) - completed_at - 6));
  server.add(
      exchange::json(200, boost::json::serialize(completed.at("response")), {{"x-request-id", "req_ns"}}));
  server.add(exchange::json(
      200,
      R"({"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"gpt-test","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})",
      {{"x-request-id", "req_cc"}}));
  net::io_context ioc;
  auto opts = client_options_for(server);
  opts.organization = "org-1";
  opts.project = "proj-1";
  opts.extra_headers = {{"X-Custom", std::string("a")}, {"User-Agent", std::nullopt}};
  client c(ioc.get_executor(), opts);

  request_options ro;
  ro.extra_headers = {{"Idempotency-Key", std::string("idem-1")}, {"x-custom", std::string("b")}};
  ro.extra_body = {{"temperature", 0.5}};
  auto resp = run_sync(ioc, c.create_response(hello_request(), ro));
  CHECK(resp.output_text() == "Hello, world!");
  CHECK(resp.request_id == "req_ns");
  CHECK(resp.usage->total_tokens == 16);

  auto chat =
      run_sync(ioc, c.create_chat_completion({{"model", "gpt-test"}, {"messages", boost::json::array{}}}));
  CHECK(chat.choices.at(0).content == "Hi!");
  CHECK(chat.request_id == "req_cc");

  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].header("Accept") == "application/json");
  CHECK(reqs[0].header("OpenAI-Organization") == "org-1");
  CHECK(reqs[0].header("OpenAI-Project") == "proj-1");
  CHECK(reqs[0].header("Idempotency-Key") == "idem-1");
  CHECK(reqs[0].header("X-Custom") == "b");
  CHECK_FALSE(reqs[0].has_header("User-Agent"));
  auto body = reqs[0].json().as_object();
  CHECK(body.at("stream") == false);
  CHECK(body.at("temperature") == 0.5);
  CHECK_FALSE(reqs[1].has_header("Idempotency-Key"));
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("client: configuration errors are reported, not crashes", "[openai][client]") {
  net::io_context ioc;
  client_options o;
  o.api_key = "";
  o.base_url = "http://127.0.0.1:1/v1";
  CHECK_THROWS_AS(client(ioc.get_executor(), o), api_error);
  o.api_key = "k";
  o.base_url = "gopher://x";
  try {
    client bad(ioc.get_executor(), o);
    FAIL("no exception");
  } catch (const api_error& e) {
    CHECK(e.kind() == errc::invalid_argument);
  }
  o.base_url = "https://api.example/v1";
  o.proxy = "ftp://nope";
  CHECK_THROWS_AS(client(ioc.get_executor(), o), api_error);
}

TEST_CASE("client: http:// base URLs only for loopback hosts unless allowed", "[openai][client]") {
  net::io_context ioc;
  client_options o;
  o.api_key = "k";
  for (const char* remote : {"http://api.example/v1", "http://10.0.0.7:8000/v1", "HTTP://example.com"}) {
    o.base_url = remote;
    try {
      client bad(ioc.get_executor(), o);
      FAIL("no exception for " << remote);
    } catch (const api_error& e) {
      CHECK(e.kind() == errc::invalid_argument);
      CHECK(std::string(e.what()).find("cleartext") != std::string::npos);
    }
  }
  for (const char* local : {"http://127.0.0.1:8080/v1", "http://localhost:1/v1", "http://[::1]:9/v1"}) {
    o.base_url = local;
    CHECK_NOTHROW(client(ioc.get_executor(), o));
  }
  o.base_url = "http://api.example/v1";
  o.allow_insecure_http = true;
  CHECK_NOTHROW(client(ioc.get_executor(), o));
}

TEST_CASE("client: the whole call has a default deadline", "[openai][client]") {
  CHECK(client_options{}.total_timeout == std::chrono::minutes(10));
}
