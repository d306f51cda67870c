#include "common/kube/rest_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/kube/api_error.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

std::string What(absl::string_view method, absl::string_view target) {
  return absl::StrCat(method, " ", target.substr(0, target.find('?')));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestClient>> RestClient::Create(const ClientConfig& config,
                                                               const HttpOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<HttpTransport> transport,
                   HttpTransport::Create(config, options));
  return std::make_unique<RestClient>(std::move(transport));
}

absl::StatusOr<Response> RestClient::Call(Request request, Cancellation* cancel) {
  ASSIGN_OR_RETURN(Response response, transport_->Send(request, cancel));
  if (response.code < 200 || response.code >= 300) {
    return ApiError(response.code, response.body, What(request.method, request.target));
  }
  return response;
}

absl::StatusOr<Response> RestClient::Get(absl::string_view target, Cancellation* cancel) {
  return Call(Request{"GET", std::string(target), "", ""}, cancel);
}

absl::StatusOr<Response> RestClient::Post(absl::string_view target, absl::string_view body,
                                          absl::string_view content_type) {
  return Call(Request{"POST", std::string(target), std::string(body), std::string(content_type)});
}

absl::StatusOr<Response> RestClient::Put(absl::string_view target, absl::string_view body,
                                         absl::string_view content_type) {
  return Call(Request{"PUT", std::string(target), std::string(body), std::string(content_type)});
}

absl::StatusOr<Response> RestClient::Patch(absl::string_view target, absl::string_view body,
                                           absl::string_view content_type) {
  return Call(Request{"PATCH", std::string(target), std::string(body), std::string(content_type)});
}

absl::StatusOr<Response> RestClient::Delete(absl::string_view target, absl::string_view body) {
  return Call(Request{"DELETE", std::string(target), std::string(body),
                      body.empty() ? "" : std::string(kJsonContentType)});
}

absl::Status RestClient::Stream(absl::string_view target, const StreamOptions& options,
                                const LineHandler& on_line, Cancellation* cancel) {
  Request request{"GET", std::string(target), "", ""};
  ASSIGN_OR_RETURN(Response response, transport_->Stream(request, options, on_line, cancel));
  if (response.code < 200 || response.code >= 300) {
    return ApiError(response.code, response.body, What("GET", target));
  }
  return absl::OkStatus();
}

std::string QueryEscape(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace raven::kube
