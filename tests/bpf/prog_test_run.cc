#include "tests/bpf/prog_test_run.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "absl/strings/str_cat.h"

namespace raven::bpf::testing {

absl::StatusOr<TcRunResult> RunTcProgram(int prog_fd, const Bytes& frame, uint32_t mark) {
  __sk_buff ctx_in{};
  ctx_in.mark = mark;
  __sk_buff ctx_out{};
  // Room for growth, although no Raven program changes the packet length.
  Bytes out(frame.size() + 256);

  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = frame.data();
  opts.data_size_in = frame.size();
  opts.data_out = out.data();
  opts.data_size_out = out.size();
  opts.ctx_in = &ctx_in;
  opts.ctx_size_in = sizeof(ctx_in);
  opts.ctx_out = &ctx_out;
  opts.ctx_size_out = sizeof(ctx_out);
  opts.repeat = 1;
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
    const std::string message = absl::StrCat("BPF_PROG_TEST_RUN: ", strerror(errno));
    return errno == EINVAL ? absl::InvalidArgumentError(message) : absl::InternalError(message);
  }
  out.resize(opts.data_size_out);
  return TcRunResult{static_cast<int>(opts.retval), std::move(out), ctx_out.mark};
}

}  // namespace raven::bpf::testing
