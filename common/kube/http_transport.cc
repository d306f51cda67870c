#include "common/kube/http_transport.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/kube/line_splitter.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

constexpr size_t kMaxErrorBodyBytes = 1 << 20;

constexpr char kUnconsultedCaDir[] = "/nonexistent/raven-trusts-only-its-ca";

// Verifies the server's chain against `arg` (an X509_STORE) only, instead of
// the context's store, to which httplib adds the system's default CAs.
int VerifyWithStore(X509_STORE_CTX* ctx, void* arg) {
  X509_STORE_CTX* mine = X509_STORE_CTX_new();
  if (mine == nullptr) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_OUT_OF_MEM);
    return 0;
  }
  int ok = 0;
  if (X509_STORE_CTX_init(mine, static_cast<X509_STORE*>(arg), X509_STORE_CTX_get0_cert(ctx),
                          X509_STORE_CTX_get0_untrusted(ctx)) == 1) {
    X509_STORE_CTX_set_default(mine, "ssl_server");
    ok = X509_verify_cert(mine);
    X509_STORE_CTX_set_error(ctx, ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(mine));
  } else {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
  }
  X509_STORE_CTX_free(mine);
  return ok == 1 ? 1 : 0;
}

void SetTimeout(absl::Duration d, void (httplib::ClientImpl::*set)(time_t, time_t),
                httplib::ClientImpl& client) {
  int64_t usec = absl::ToInt64Microseconds(d);
  (client.*set)(static_cast<time_t>(usec / 1000000), static_cast<time_t>(usec % 1000000));
}

std::string Describe(const Request& request) {
  size_t q = request.target.find('?');
  return absl::StrCat(request.method, " ", request.target.substr(0, q));
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTransport>> HttpTransport::Create(const ClientConfig& config,
                                                                     const HttpOptions& options) {
  ASSIGN_OR_RETURN(ServerUrl url, ParseServerUrl(config.server));
  std::unique_ptr<HttpTransport> t(new HttpTransport(std::move(url), options));
  t->insecure_ = config.insecure_skip_tls_verify;
  if (!config.ca_pem.empty() && !t->insecure_) {
    ASSIGN_OR_RETURN(t->ca_store_, X509StoreFromPem(config.ca_pem));
  }
  if (!config.client_cert_pem.empty() || !config.client_key_pem.empty()) {
    if (!t->url_.https) {
      return absl::InvalidArgumentError("a client certificate needs an https server");
    }
    ASSIGN_OR_RETURN(t->client_cert_, CertificateFromPem(config.client_cert_pem));
    ASSIGN_OR_RETURN(t->client_key_, PrivateKeyFromPem(config.client_key_pem));
    RETURN_IF_ERROR(CheckKeyMatchesCertificate(t->client_cert_.get(), t->client_key_.get()));
  }
  ASSIGN_OR_RETURN(t->token_, TokenSource::Create(config.bearer_token, config.token_file));
  return t;
}

HttpTransport::HttpTransport(ServerUrl url, HttpOptions options)
    : url_(std::move(url)), options_(std::move(options)) {}

HttpTransport::~HttpTransport() = default;

std::unique_ptr<httplib::ClientImpl> HttpTransport::NewClient(absl::Duration read_timeout,
                                                              bool keep_alive,
                                                              Cancellation* cancel) const {
  std::unique_ptr<httplib::ClientImpl> client;
  if (url_.https) {
    auto ssl = std::make_unique<httplib::SSLClient>(url_.host, url_.port, client_cert_.get(),
                                                    client_key_.get());
    ssl->enable_server_certificate_verification(!insecure_);
    if (ca_store_ && ssl->ssl_context() != nullptr) {
      SSL_CTX_set_cert_verify_callback(ssl->ssl_context(), VerifyWithStore, ca_store_.get());
      // Only ca_store_ is trusted. Without a CA path httplib loads the system
      // bundle into every new connection's context (about 140 certificates:
      // 40 ms of CPU, 0.3 s under ASan, for each watch and pooled
      // connection); a directory is only looked into on demand, and the
      // callback above never asks.
      ssl->set_ca_cert_path("", kUnconsultedCaDir);
    }
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(url_.host, url_.port);
  }
  SetTimeout(options_.connect_timeout, &httplib::ClientImpl::set_connection_timeout, *client);
  SetTimeout(read_timeout, &httplib::ClientImpl::set_read_timeout, *client);
  SetTimeout(options_.request_timeout, &httplib::ClientImpl::set_write_timeout, *client);
  client->set_keep_alive(keep_alive);
  client->set_tcp_nodelay(true);
  client->set_socket_options([cancel](socket_t sock) {
    int one = 1, idle = 30, interval = 10, count = 3;
    ::setsockopt(sock, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    ::setsockopt(sock, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    ::setsockopt(sock, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
    ::setsockopt(sock, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
    // Cancelled before the socket existed: httplib's stop() found nothing to
    // shut down, so do it here.
    if (cancel != nullptr && cancel->cancelled()) ::shutdown(sock, SHUT_RDWR);
  });
  return client;
}

std::unique_ptr<httplib::ClientImpl> HttpTransport::AcquirePooled() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<httplib::ClientImpl> client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  return NewClient(options_.request_timeout, /*keep_alive=*/true, nullptr);
}

void HttpTransport::DropIdle() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

void HttpTransport::ReleasePooled(std::unique_ptr<httplib::ClientImpl> client) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(client));
}

std::vector<std::pair<std::string, std::string>> HttpTransport::CommonHeaders() {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Accept", std::string(kJsonContentType)},
      {"User-Agent", options_.user_agent},
  };
  std::string token = token_->Token();
  if (!token.empty()) headers.emplace_back("Authorization", absl::StrCat("Bearer ", token));
  return headers;
}

namespace {

httplib::Request BuildRequest(const Request& request, const ServerUrl& url,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Request req;
  req.method = request.method;
  req.path = absl::StrCat(url.path_prefix, request.target);
  for (const auto& [k, v] : headers) req.headers.emplace(k, v);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    req.body = request.body;
    req.headers.emplace("Content-Type", request.content_type.empty() ? std::string(kJsonContentType)
                                                                     : request.content_type);
  }
  return req;
}

absl::Status TransportError(const httplib::ClientImpl& client, httplib::Error error, bool https,
                            const Request& request) {
  std::string what = httplib::to_string(error);
  if (error == httplib::Error::SSLServerVerification && https) {
    long result = static_cast<const httplib::SSLClient&>(client).get_openssl_verify_result();
    what = absl::StrCat(
        "TLS server verification failed: ",
        result == X509_V_OK ? "host name mismatch" : X509_verify_cert_error_string(result));
  }
  return absl::UnavailableError(absl::StrCat(Describe(request), ": ", what));
}

}  // namespace

absl::StatusOr<Response> HttpTransport::Send(const Request& request, Cancellation* cancel) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<httplib::ClientImpl> client = AcquirePooled();
    const bool reused = client->is_socket_open() > 0;
    const absl::Duration timeout =
        request.timeout > absl::ZeroDuration() ? request.timeout : options_.request_timeout;
    SetTimeout(timeout, &httplib::ClientImpl::set_read_timeout, *client);
    SetTimeout(timeout, &httplib::ClientImpl::set_write_timeout, *client);
    httplib::Request req = BuildRequest(request, url_, CommonHeaders());
    Response out;
    bool too_big = false;
    req.response_handler = [&](const httplib::Response& r) {
      out.code = r.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (out.body.size() + n > options_.max_response_bytes) {
        too_big = true;
        return false;
      }
      out.body.append(data, n);
      return true;
    };
    if (cancel != nullptr && !cancel->SetAbort([c = client.get()] { c->stop(); })) {
      return absl::CancelledError(absl::StrCat(Describe(request), ": cancelled"));
    }
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    bool ok = client->send(req, res, error);
    if (cancel != nullptr) cancel->ClearAbort();
    if (cancel != nullptr && cancel->cancelled()) {
      return absl::CancelledError(absl::StrCat(Describe(request), ": cancelled"));
    }
    if (too_big) {
      return absl::ResourceExhaustedError(absl::StrCat(Describe(request), ": response larger than ",
                                                       options_.max_response_bytes, " bytes"));
    }
    if (!ok) {
      // A kept-alive connection the server had closed: retry a GET once.
      if (reused && attempt == 0 && request.method == "GET" &&
          (error == httplib::Error::Read || error == httplib::Error::Write)) {
        continue;
      }
      // Whatever broke this connection (a NAT or server restart) most likely
      // broke the idle ones too: the next request opens a fresh one.
      DropIdle();
      return TransportError(*client, error, url_.https, request);
    }
    if (out.code == 0) out.code = res.status;
    // After a server error the connection's state is suspect (a server may
    // answer before reading the request body): do not reuse it.
    if (out.code < 500) ReleasePooled(std::move(client));
    return out;
  }
}

absl::StatusOr<Response> HttpTransport::Stream(const Request& request, const StreamOptions& options,
                                               const LineHandler& on_line, Cancellation* cancel) {
  std::unique_ptr<httplib::ClientImpl> client =
      NewClient(options.idle_timeout, /*keep_alive=*/false, cancel);
  httplib::Request req = BuildRequest(request, url_, CommonHeaders());
  Response out;
  bool handler_stopped = false;
  LineSplitter splitter(options.max_line_bytes, on_line, options.on_oversize);
  auto success = [&] { return out.code >= 200 && out.code < 300; };
  req.response_handler = [&](const httplib::Response& r) {
    out.code = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (cancel != nullptr && cancel->cancelled()) return false;
    if (!success()) {
      if (out.body.size() < kMaxErrorBodyBytes) out.body.append(data, n);
      return true;
    }
    if (!splitter.Feed(absl::string_view(data, n))) {
      handler_stopped = true;
      return false;
    }
    return true;
  };
  if (cancel != nullptr && !cancel->SetAbort([c = client.get()] { c->stop(); })) {
    return absl::CancelledError(absl::StrCat(Describe(request), ": cancelled"));
  }
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  bool ok = client->send(req, res, error);
  if (cancel != nullptr) cancel->ClearAbort();
  if (cancel != nullptr && cancel->cancelled()) {
    return absl::CancelledError(absl::StrCat(Describe(request), ": cancelled"));
  }
  if (handler_stopped) return out;
  if (!ok) {
    absl::Status status = TransportError(*client, error, url_.https, request);
    if (success() && error == httplib::Error::Read) {
      return absl::UnavailableError(absl::StrCat(status.message(),
                                                 " (stream broken, or silent for ",
                                                 absl::FormatDuration(options.idle_timeout), ")"));
    }
    return status;
  }
  if (out.code == 0) out.code = res.status;
  if (success()) splitter.Finish();
  return out;
}

}  // namespace raven::kube
