// raven-apiserver: the project's Kubernetes API server for tests and the lab.
// Runs until SIGTERM or SIGINT.
//
//   raven-apiserver --bind=127.0.0.1 --port=0 --port-file=/tmp/port
//       --tls-cert=server.crt --tls-key=server.key --token-file=token   (mode 0600)
#include <pthread.h>
#include <signal.h>

#include <algorithm>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/flag_names.h"
#include "common/logging.h"
#include "lab/apiserver/apiserver.h"
#include "lab/apiserver/token_file.h"

ABSL_FLAG(std::string, bind, "127.0.0.1", "Address to listen on");
ABSL_FLAG(int, port, 0, "Port to listen on (0: an ephemeral port, see --port-file)");
ABSL_FLAG(std::string, port_file, "", "Write the chosen port to this file once serving");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate (with --tls-key: serve HTTPS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key");
ABSL_FLAG(std::string, token, "",
          "Bearer token clients must present (empty: no auth); visible in ps, prefer --token-file");
ABSL_FLAG(std::string, token_file, "",
          "File holding the bearer token (mode 0600 or stricter; one trailing newline ignored)");
ABSL_FLAG(absl::Duration, bookmark_interval, absl::Seconds(1), "Period of watch BOOKMARKs");
ABSL_FLAG(int, history_limit, 10000, "Changes kept for watches from older versions");
ABSL_FLAG(bool, watch_initial_state, false,
          "Watches from resourceVersion \"\"/\"0\" start with ADDED events for existing objects");
ABSL_FLAG(int, worker_threads, 64, "Threads serving connections (each open watch holds one)");
ABSL_FLAG(bool, log_requests, false, "Log every request");

namespace {

bool WritePortFile(const std::string& path, int port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out.good()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  raven::ParseFlags(argc, argv,
                    "Kubernetes API server for Raven's tests and lab. Usage: raven-apiserver "
                    "[--bind=ADDR] [--port=N] [--tls-cert=FILE --tls-key=FILE] "
                    "[--token-file=FILE] [flags]");

  // Block the stop signals before any thread starts, then wait for them here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  raven::apiserver::ApiServerOptions options;
  options.bind = absl::GetFlag(FLAGS_bind);
  options.port = absl::GetFlag(FLAGS_port);
  options.cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.key_file = absl::GetFlag(FLAGS_tls_key);
  options.token = absl::GetFlag(FLAGS_token);
  std::string token_file = absl::GetFlag(FLAGS_token_file);
  if (!token_file.empty()) {
    if (!options.token.empty()) {
      std::fprintf(stderr, "raven-apiserver: --token and --token-file are exclusive\n");
      return 1;
    }
    absl::StatusOr<std::string> token = raven::apiserver::ReadTokenFile(token_file);
    if (!token.ok()) {
      std::fprintf(stderr, "raven-apiserver: %s\n", token.status().ToString().c_str());
      return 1;
    }
    options.token = *std::move(token);
  }
  options.bookmark_interval = absl::GetFlag(FLAGS_bookmark_interval);
  options.history_limit = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_history_limit)));
  options.watch_sends_initial_state = absl::GetFlag(FLAGS_watch_initial_state);
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  options.log_requests = absl::GetFlag(FLAGS_log_requests);
  if (options.log_requests) raven::SetMinLogLevel(raven::LogLevel::kDebug);

  auto server = raven::apiserver::ApiServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "raven-apiserver: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty() && !WritePortFile(port_file, (*server)->port())) {
    std::fprintf(stderr, "raven-apiserver: cannot write %s\n", port_file.c_str());
    return 1;
  }
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  RAVEN_LOG(kInfo, "raven-apiserver: signal ", signal_number, ", stopping");
  return 0;
}
