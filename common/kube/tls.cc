#include "common/kube/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace raven::kube {
namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemoryBio(absl::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The most recent OpenSSL error, and the queue cleared.
std::string OpenSslError() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

// Never prompt for a passphrase on the terminal (OpenSSL's default).
int NoPassphrase(char*, int, int, void*) { return 0; }

}  // namespace

absl::StatusOr<X509StorePtr> X509StoreFromPem(absl::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  X509StorePtr store(X509_STORE_new());
  if (!bio || !store) return absl::ResourceExhaustedError("CA bundle: out of memory");
  int count = 0;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
    if (!cert) break;
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("CA bundle: ", OpenSslError()));
    }
    ++count;
  }
  ERR_clear_error();  // the read that ended the loop
  if (count == 0) return absl::InvalidArgumentError("CA bundle: no PEM certificate");
  return store;
}

absl::StatusOr<X509Ptr> CertificateFromPem(absl::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  if (!bio) return absl::ResourceExhaustedError("client certificate: out of memory");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!cert)
    return absl::InvalidArgumentError(absl::StrCat("client certificate: ", OpenSslError()));
  return cert;
}

absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(absl::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  if (!bio) return absl::ResourceExhaustedError("client key: out of memory");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) return absl::InvalidArgumentError(absl::StrCat("client key: ", OpenSslError()));
  return key;
}

absl::Status CheckKeyMatchesCertificate(X509* cert, EVP_PKEY* key) {
  if (X509_check_private_key(cert, key) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("client key does not match the client certificate: ", OpenSslError()));
  }
  return absl::OkStatus();
}

}  // namespace raven::kube
