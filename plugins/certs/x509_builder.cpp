#include "x509_builder.hpp"

#include <array>
#include <variant>

#include <openssl/rand.h>
#include <openssl/rsa.h>

namespace roachrun_certs {
namespace {

// 128 random bits, as cockroach uses: RFC 5280 asks for at least 64 unpredictable bits so that
// two certificates from one CA never share a serial (and a chosen-prefix collision cannot be
// lined up), and caps serials at 20 octets.
void set_random_serial(X509& cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw_openssl_error("cannot draw a serial number");
  bytes[0] &= 0x7f;  // keep the DER INTEGER positive and at 16 octets
  bytes[0] |= 0x40;  // and never zero, which some verifiers reject
  BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(&cert))) {
    throw_openssl_error("cannot set the serial number");
  }
}

void set_validity(X509& cert, const Validity& validity) {
  // ASN1_TIME_set picks UTCTime up to 2049 and GeneralizedTime after, as RFC 5280 requires, and
  // fails past year 9999, which a huge lifetime would reach.
  if (!ASN1_TIME_set(X509_getm_notBefore(&cert), validity.not_before) ||
      !ASN1_TIME_set(X509_getm_notAfter(&cert), validity.not_after)) {
    throw_openssl_error("cannot set the validity period (is the lifetime beyond year 9999?)");
  }
}

X509NamePtr make_name(const std::string& common_name) {
  X509NamePtr name(X509_NAME_new());
  if (!name) throw_openssl_error("cannot allocate a name");
  // O before CN: the order Go's crypto/x509 (hence cockroach) writes, so subjects compare equal.
  const auto add = [&](const char* field, const std::string& value) {
    if (X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1) {
      throw_openssl_error(std::string("cannot set ") + field + "=" + value);
    }
  };
  add("O", kOrganization);
  add("CN", common_name);
  return name;
}

// Creates the certificate body that CA and leaf share; extensions and signature come later.
X509Ptr make_unsigned(const std::string& common_name, EVP_PKEY& subject_key, const Validity& validity) {
  X509Ptr cert(X509_new());
  if (!cert) throw_openssl_error("cannot allocate a certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) throw_openssl_error("cannot set the version");
  set_random_serial(*cert);
  set_validity(*cert, validity);
  X509NamePtr subject = make_name(common_name);
  if (X509_set_subject_name(cert.get(), subject.get()) != 1) throw_openssl_error("cannot set the subject");
  if (X509_set_pubkey(cert.get(), &subject_key) != 1) throw_openssl_error("cannot set the public key");
  return cert;
}

// Extensions whose value is fixed text go through OpenSSL's config syntax, which also computes
// key identifiers from ctx. User input never does (see add_alt_names): a host with a comma could
// otherwise smuggle in extra entries.
void add_extension(X509& cert, X509V3_CTX& ctx, int nid, const char* value) {
  X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(&cert, ext.get(), -1) != 1) {
    throw_openssl_error(std::string("cannot add extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
}

GeneralNamePtr make_general_name(const HostName& host) {
  GeneralNamePtr gn(GENERAL_NAME_new());
  if (!gn) throw_openssl_error("cannot allocate a subjectAltName");
  if (const auto* ip = std::get_if<IpAddress>(&host)) {
    OctetStringPtr value(ASN1_OCTET_STRING_new());
    if (!value || !ASN1_OCTET_STRING_set(value.get(), ip->bytes.data(), static_cast<int>(ip->bytes.size()))) {
      throw_openssl_error("cannot encode an IP subjectAltName");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, value.release());
  } else {
    const auto& dns = std::get<DnsName>(host).name;
    Ia5StringPtr value(ASN1_IA5STRING_new());
    if (!value || !ASN1_STRING_set(value.get(), dns.data(), static_cast<int>(dns.size()))) {
      throw_openssl_error("cannot encode DNS subjectAltName " + dns);
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_DNS, value.release());
  }
  return gn;
}

void add_alt_names(X509& cert, const std::vector<HostName>& hosts) {
  if (hosts.empty()) return;
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) throw_openssl_error("cannot allocate subjectAltNames");
  for (const auto& host : hosts) {
    GeneralNamePtr gn = make_general_name(host);
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) throw_openssl_error("cannot add a subjectAltName");
    gn.release();  // the stack owns it now
  }
  if (X509_add1_ext_i2d(&cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    throw_openssl_error("cannot add the subjectAltName extension");
  }
}

void sign(X509& cert, EVP_PKEY& signer) {
  if (X509_sign(&cert, &signer, EVP_sha256()) <= 0) throw_openssl_error("cannot sign the certificate");
}

}  // namespace

EvpPkeyPtr generate_rsa_key(int bits) {
  EvpPkeyPtr key(EVP_RSA_gen(static_cast<unsigned>(bits)));
  if (!key) throw_openssl_error("cannot generate a " + std::to_string(bits) + "-bit RSA key");
  return key;
}

X509Ptr build_ca_certificate(EVP_PKEY& key, const Validity& validity) {
  X509Ptr cert = make_unsigned(kCaCommonName, key, validity);
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    throw_openssl_error("cannot set the issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  // pathlen:1 as cockroach sets it (MaxPathLen 1): room for one intermediate, no deeper chains.
  add_extension(*cert, ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
  add_extension(*cert, ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  add_extension(*cert, ctx, NID_subject_key_identifier, "hash");
  sign(*cert, key);
  return cert;
}

X509Ptr build_leaf_certificate(const LeafSpec& spec, EVP_PKEY& subject_key, X509& ca_cert, EVP_PKEY& ca_key) {
  X509Ptr cert = make_unsigned(spec.common_name, subject_key, spec.validity);
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(&ca_cert)) != 1) {
    throw_openssl_error("cannot set the issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, &ca_cert, cert.get(), nullptr, nullptr, 0);
  add_extension(*cert, ctx, NID_basic_constraints, "critical,CA:FALSE");
  // keyEncipherment too: TLS 1.2 RSA key exchange needs it on an RSA server key.
  add_extension(*cert, ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_extension(*cert, ctx, NID_ext_key_usage, spec.kind == LeafKind::node ? "serverAuth,clientAuth" : "clientAuth");
  add_extension(*cert, ctx, NID_subject_key_identifier, "hash");
  // "keyid,issuer": the CA's key id when ca.crt has one (ours always does), else its
  // issuer+serial, so a ca.crt made by another tool still works.
  add_extension(*cert, ctx, NID_authority_key_identifier, "keyid,issuer");
  add_alt_names(*cert, spec.alt_names);
  sign(*cert, ca_key);
  return cert;
}

}  // namespace roachrun_certs
