#include "lab/apiserver/request_body.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lab/apiserver/api_status.h"

namespace raven::apiserver {

absl::StatusOr<std::string> ReadRequestBody(const httplib::Request& req,
                                            const httplib::ContentReader& reader, size_t limit) {
  std::string coding = req.get_header_value("Transfer-Encoding");
  bool chunked = absl::EqualsIgnoreCase(coding, "chunked");
  if (!coding.empty() && !chunked) {
    return BadRequestError(absl::StrCat("unsupported transfer encoding: ", coding));
  }
  if (!chunked && !req.has_header("Content-Length")) return std::string();
  if (req.is_multipart_form_data()) {
    reader([](const httplib::MultipartFormData&) { return true; },
           [](const char*, size_t) { return true; });
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json");
  }
  std::string body;
  bool too_large = false;
  bool complete = reader([&](const char* data, size_t size) {
    if (!too_large && body.size() + size > limit) {
      too_large = true;
      std::string().swap(body);
    }
    if (!too_large) body.append(data, size);
    return true;  // past the limit: read on and drop
  });
  if (too_large) return RequestEntityTooLargeError(limit);
  if (!complete) return BadRequestError("the request body could not be read");
  return body;
}

}  // namespace raven::apiserver
