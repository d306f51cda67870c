// Reading a request body over HTTP as kube-apiserver (Go's net/http) does,
// not as cpp-httplib does by itself: httplib reads a request that has
// neither Content-Length nor chunked Transfer-Encoding until the client
// closes the connection (the rule for responses), so such a POST stalls for
// its 5 s read timeout and then gets a bare 400 before any handler, even the
// authentication check, runs. RFC 7230 §3.3.3 says that body is empty.
#ifndef RAVEN_LAB_APISERVER_REQUEST_BODY_H_
#define RAVEN_LAB_APISERVER_REQUEST_BODY_H_

#include <httplib.h>

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace raven::apiserver {

// The body of `req`, read through `reader` (from a content-reader handler):
// empty without Content-Length and chunked encoding; a 413 Status when it is
// larger than `limit` (read to its end and dropped, so that the connection
// stays usable for the next request); a 400 when it cannot be read or has a
// transfer coding other than chunked; a 415 for a multipart form (which
// httplib would parse on its own).
absl::StatusOr<std::string> ReadRequestBody(const httplib::Request& req,
                                            const httplib::ContentReader& reader, size_t limit);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_REQUEST_BODY_H_
