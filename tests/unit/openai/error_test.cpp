#include <chatkit/openai/error.hpp>

using namespace chatkit::openai;

TEST_CASE("errors: status mapping and error bodies", "[openai][errors]") {
  CHECK(errc_from_status(200) == errc::ok);
  CHECK(errc_from_status(400) == errc::bad_request);
  CHECK(errc_from_status(401) == errc::authentication);
  CHECK(errc_from_status(403) == errc::permission_denied);
  CHECK(errc_from_status(404) == errc::not_found);
  CHECK(errc_from_status(409) == errc::conflict);
  CHECK(errc_from_status(422) == errc::unprocessable_entity);
  CHECK(errc_from_status(429) == errc::rate_limit);
  CHECK(errc_from_status(503) == errc::internal_server);
  CHECK(errc_from_status(418) == errc::api_status);

  error_details d;
  parse_error_body(
      R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
      d);
  CHECK(d.message == "Incorrect API key provided.");
  CHECK(d.type == "invalid_request_error");
  CHECK(d.code == "invalid_api_key");
  CHECK(d.param.empty());
  error_details raw;
  parse_error_body("<html>bad gateway</html>", raw);
  CHECK(raw.message == "<html>bad gateway</html>");

  api_error e(errc::rate_limit, d);
  CHECK(e.code() == errc::rate_limit);
  CHECK(e.code().category().name() == std::string("openai"));
  CHECK(std::string(e.what()).find("Incorrect API key") != std::string::npos);
}
