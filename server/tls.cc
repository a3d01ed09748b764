#include "server/tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace tailor {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read '", path, "'"));
  }
  if (text.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", path, "' is missing or empty"));
  }
  return text.str();
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
Bio BioOf(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
             &BIO_free);
}

// The number of certificates in `pem`.
int CountCertificates(const std::string& pem) {
  Bio bio = BioOf(pem);
  int n = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++n;
  }
  ERR_clear_error();
  return n;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(
    const TlsOptions& o) {
  if (o.cert_file.empty() != o.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file, --tls_key_file: give both or neither");
  }
  if (o.reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "tls reload_interval: must be at least 1 second");
  }
  absl::StatusOr<std::string> cert = ReadPem(o.cert_file, "--tls_cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(o.key_file, "--tls_key_file");
  if (!key.ok()) return key.status();
  Bio cert_bio = BioOf(*cert);
  std::unique_ptr<X509, decltype(&X509_free)> leaf(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (leaf == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_cert_file: '", o.cert_file, "' holds no PEM certificate"));
  }
  Bio key_bio = BioOf(*key);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr),
      &EVP_PKEY_free);
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file: '", o.key_file,
        "' holds no PEM private key (an encrypted key is not supported)"));
  }
  if (X509_check_private_key(leaf.get(), pkey.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file: '", o.key_file,
        "' is not the key of the certificate in '", o.cert_file, "'"));
  }
  if (!o.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca =
        ReadPem(o.client_ca_file, "--tls_client_ca_file");
    if (!ca.ok()) return ca.status();
    if (CountCertificates(*ca) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls_client_ca_file: '", o.client_ca_file,
                       "' holds no PEM certificate"));
    }
  }
  const auto interval =
      static_cast<unsigned int>(absl::ToInt64Seconds(o.reload_interval));
  auto provider =
      o.client_ca_file.empty()
          ? std::make_shared<
                grpc::experimental::FileWatcherCertificateProvider>(
                o.key_file, o.cert_file, interval)
          : std::make_shared<
                grpc::experimental::FileWatcherCertificateProvider>(
                o.key_file, o.cert_file, o.client_ca_file, interval);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (o.client_ca_file.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(
        o.require_client_cert
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace tailor
