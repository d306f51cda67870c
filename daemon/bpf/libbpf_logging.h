// Routes libbpf's own messages into the agent's log.
#ifndef RAVEN_DAEMON_BPF_LIBBPF_LOGGING_H_
#define RAVEN_DAEMON_BPF_LIBBPF_LOGGING_H_

namespace raven::bpf {

// Call once at start, before any libbpf call.
void ForwardLibbpfLogs();

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_LIBBPF_LOGGING_H_
