// Certificates that can be renewed (issue 16, item 2): the centre CA `serve` creates, carts
// pinning it across `tls renew`, the adoption of a pre-CA certificate that carts pinned, two pins
// for a CA change, and the server context reloading its certificate while it serves.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>

#include "gc/cart_client.hpp"
#include "gc/centre_pki.hpp"
#include "gc/tls.hpp"
#include "ingest/ingest_test_util.hpp"

using namespace gc::test;
using gc::ingest::CartClient;
using gc::ingest::CartConfig;
using gc::ingest::CartError;
using gc::ingest::CartStudy;
using gc::ingest::CentrePki;

namespace {

CartStudy small_study(const std::string& uid) {
  CartStudy study;
  study.study_uid = uid;
  study.leads = {"I", "II", "V1"};
  study.sample_rate_hz = 500;
  study.resolution_nv_per_lsb = 1000;
  study.samples.assign(3, std::vector<std::int32_t>(1000));
  for (std::size_t lead = 0; lead < 3; ++lead) {
    for (std::size_t k = 0; k < 1000; ++k) {
      study.samples[lead][k] = static_cast<std::int32_t>((k * 37 + lead * 101) % 2001) - 1000;
    }
  }
  study.acquired_at_unix_ms = 1'795'000'000'000;
  return study;
}

// A cart pinning `pins` (comma list); sends one study and returns the server certificate
// fingerprint its "connected" line reported. Throws CartError when the server is refused.
struct PinnedCart {
  std::string presented;  // fingerprint of the server certificate in the last handshake
  bool complete = false;
};

PinnedCart send_pinned(std::uint16_t port, const gc::storage::NewDevice& device,
                       const std::string& pins, const std::string& uid) {
  CartConfig config;
  config.port = port;
  config.device_id = device.device_id;
  config.secret = device.secret;
  config.tls = gc::ingest::make_cart_tls_context("", pins);
  config.tls_verify_host_name = false;
  config.io_timeout = std::chrono::milliseconds(3000);
  config.finding_timeout = std::chrono::milliseconds(100);
  config.max_reconnects = 0;
  auto presented = std::make_shared<std::string>();
  config.log = [presented](std::string_view line) {
    const auto at = line.find("server certificate SHA-256 ");
    if (at != std::string_view::npos) {
      *presented = std::string(line.substr(at + 27, 95));
    }
  };
  CartClient cart(config);
  PinnedCart out;
  out.complete = cart.send_study(small_study(uid)).complete;
  out.presented = *presented;
  return out;
}

std::string ca_pin(const CentrePki& pki) {
  return gc::ingest::read_certificates(pki.ca_certificate()).front().fingerprint;
}

std::string leaf_pin(const CentrePki& pki) {
  return gc::ingest::read_certificates(pki.server().certificate).front().fingerprint;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("centre CA: first start creates a CA and a server certificate it issued; keys 0600",
          "[tls]") {
  const CentrePki pki{unique_temp_dir("gc-pki") / "tls"};
  const auto setup = gc::ingest::ensure_centre_pki(
      pki, gc::ingest::parse_certificate_names("localhost,127.0.0.1,ecg.example.org"));
  CHECK(setup.created_ca);
  CHECK(setup.issued_server);
  CHECK_FALSE(setup.adopted_legacy);
  CHECK_FALSE(setup.presenting_legacy);
  CHECK(mode_of(pki.ca_key()) == 0600);
  CHECK(mode_of(pki.server().private_key) == 0600);

  const auto ca = gc::ingest::read_certificates(pki.ca_certificate());
  REQUIRE(ca.size() == 1);
  CHECK(ca[0].is_ca);
  CHECK(ca[0].self_signed);
  // The chain file: the server certificate, then the CA's (carts pinning the CA must see it).
  const auto chain = gc::ingest::read_certificates(pki.server().certificate);
  REQUIRE(chain.size() == 2);
  CHECK_FALSE(chain[0].is_ca);
  CHECK(chain[0].issuer == ca[0].subject);
  CHECK(chain[1].fingerprint == ca[0].fingerprint);
  CHECK(chain[0].names == std::vector<std::string>{"localhost", "127.0.0.1", "ecg.example.org"});

  // The next start changes nothing.
  const auto again = gc::ingest::ensure_centre_pki(pki, {});
  CHECK_FALSE(again.created_ca);
  CHECK_FALSE(again.issued_server);
  CHECK(leaf_pin(pki) == chain[0].fingerprint);

  CHECK_THROWS_AS(gc::ingest::parse_certificate_names("localhost,bad name/x"),
                  std::invalid_argument);
  std::error_code ignored;
  fs::remove_all(pki.dir.parent_path(), ignored);
}

TEST_CASE(
    "tls renew: a cart pinning the CA streams before and after, and sees the new "
    "certificate without any change",
    "[tls]") {
  const CentrePki pki{unique_temp_dir("gc-pki") / "tls"};
  gc::ingest::ensure_centre_pki(pki, {});
  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(pki.server());
  TestServer server(config);
  const auto device = server.add_device("cart-renew");
  const std::string pin = ca_pin(pki);
  const std::string first_leaf = leaf_pin(pki);

  const auto before = send_pinned(server.port(), device, pin, "renew-1");
  CHECK(before.complete);
  CHECK(before.presented == first_leaf);

  const auto issued = gc::ingest::issue_server_certificate(pki);
  CHECK(issued.fingerprint != first_leaf);
  CHECK(issued.names == std::vector<std::string>{"localhost", "127.0.0.1"});  // kept
  CHECK(mode_of(pki.server().private_key) == 0600);
  CHECK(gc::ingest::reload_server_certificate(*config.tls, pki.server()) == issued.fingerprint);

  const auto after = send_pinned(server.port(), device, pin, "renew-2");
  CHECK(after.complete);
  CHECK(after.presented == issued.fingerprint);
  CHECK(ca_pin(pki) == pin);

  // A cart that had pinned the first server certificate itself is refused once it is replaced
  // (why carts pin the CA), and nothing it sends is stored.
  CHECK_THROWS_AS(send_pinned(server.port(), device, first_leaf, "renew-leaf-pin"), CartError);
  CHECK_FALSE(server.store().find_study(device.device_id, "renew-leaf-pin"));
  std::error_code ignored;
  fs::remove_all(pki.dir.parent_path(), ignored);
}

TEST_CASE(
    "a pre-CA certificate that carts pinned becomes the CA: the same pin works before and "
    "after tls renew",
    "[tls]") {
  const CentrePki pki{unique_temp_dir("gc-pki") / "tls"};
  fs::create_directories(pki.dir);
  // What an older serve made: one self-signed certificate; carts pinned its fingerprint.
  REQUIRE(gc::ingest::ensure_server_certificate(pki.server()));
  const std::string old_pin = leaf_pin(pki);

  const auto setup = gc::ingest::ensure_centre_pki(pki, {});
  CHECK(setup.adopted_legacy);
  CHECK(setup.presenting_legacy);
  CHECK_FALSE(setup.created_ca);
  CHECK(ca_pin(pki) == old_pin);
  CHECK(leaf_pin(pki) == old_pin);  // still presented until the admin renews
  CHECK(mode_of(pki.ca_key()) == 0600);

  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(pki.server());
  TestServer server(config);
  const auto device = server.add_device("cart-legacy");
  const auto before = send_pinned(server.port(), device, old_pin, "legacy-1");
  CHECK(before.complete);
  CHECK(before.presented == old_pin);

  const auto issued = gc::ingest::issue_server_certificate(pki);
  gc::ingest::reload_server_certificate(*config.tls, pki.server());
  const auto after = send_pinned(server.port(), device, old_pin, "legacy-2");
  CHECK(after.complete);
  CHECK(after.presented == issued.fingerprint);
  CHECK(after.presented != old_pin);
  CHECK_FALSE(gc::ingest::ensure_centre_pki(pki, {}).presenting_legacy);

  // A directory holding a certificate that is not a CA is not adopted silently.
  const CentrePki other{unique_temp_dir("gc-pki") / "tls"};
  fs::create_directories(other.dir);
  fs::copy_file(pki.server().certificate, other.server().certificate);  // a leaf, CA:FALSE
  fs::copy_file(pki.server().private_key, other.server().private_key);
  CHECK_THROWS_WITH(gc::ingest::ensure_centre_pki(other, {}),
                    Catch::Contains("not a self-signed CA certificate"));
  std::error_code ignored;
  fs::remove_all(pki.dir.parent_path(), ignored);
  fs::remove_all(other.dir.parent_path(), ignored);
}

TEST_CASE("CA change: carts holding both pins keep working across the switch", "[tls]") {
  const CentrePki pki{unique_temp_dir("gc-pki") / "tls"};
  gc::ingest::ensure_centre_pki(pki, {});
  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(pki.server());
  TestServer server(config);
  const auto device = server.add_device("cart-ca-change");
  const std::string old_ca = ca_pin(pki);

  const auto next = gc::ingest::prepare_next_ca(pki);
  CHECK(next.is_ca);
  CHECK(mode_of(pki.next_ca_key()) == 0600);
  CHECK_THROWS(gc::ingest::prepare_next_ca(pki));  // one change at a time
  const std::string both = old_ca + "," + next.fingerprint;
  CHECK(send_pinned(server.port(), device, both, "change-1").complete);  // old CA still serves
  CHECK_THROWS_AS(send_pinned(server.port(), device, next.fingerprint, "change-early"), CartError);

  CHECK(gc::ingest::switch_to_next_ca(pki).fingerprint == next.fingerprint);
  gc::ingest::issue_server_certificate(pki);
  gc::ingest::reload_server_certificate(*config.tls, pki.server());
  CHECK(ca_pin(pki) == next.fingerprint);
  CHECK(fs::exists(pki.dir / "ca-previous.crt"));
  CHECK(send_pinned(server.port(), device, both, "change-2").complete);
  CHECK(send_pinned(server.port(), device, next.fingerprint, "change-3").complete);
  CHECK_THROWS_AS(send_pinned(server.port(), device, old_ca, "change-old-only"), CartError);
  std::error_code ignored;
  fs::remove_all(pki.dir.parent_path(), ignored);
}

TEST_CASE("pins: a comma list of SHA-256 fingerprints; anything else is refused by name", "[tls]") {
  const std::string a(64, 'a');
  const std::string b = "AB:" + std::string(62, '0');
  const auto pins = gc::ingest::parse_pins(a + ", " + b);
  REQUIRE(pins.size() == 2);
  CHECK(pins[0] == std::string(64, 'A'));
  CHECK(pins[1] == "AB" + std::string(62, '0'));
  CHECK_THROWS_WITH(gc::ingest::parse_pins("AB:CD"), Catch::Contains("'AB:CD'"));
  CHECK_THROWS_WITH(gc::ingest::parse_pins(std::string(63, 'A') + "G"),
                    Catch::Contains("not a SHA-256 fingerprint"));
  CHECK(gc::ingest::parse_pins("").empty());
}

TEST_CASE(
    "the watcher reloads a renewed certificate and keeps the previous one when the key does not "
    "match",
    "[tls]") {
  const CentrePki pki{unique_temp_dir("gc-pki") / "tls"};
  gc::ingest::ensure_centre_pki(pki, {});
  gc::ingest::ServerConfig config;
  config.tls = gc::ingest::make_server_tls_context(pki.server());
  TestServer server(config);
  const auto device = server.add_device("cart-watch");
  const std::string pin = ca_pin(pki);

  boost::asio::io_context io;
  std::mutex mutex;
  std::vector<std::string> lines;
  gc::ingest::CertificateWatcher watcher(io, config.tls, pki.server(),
                                         std::chrono::milliseconds(50), [&](std::string_view l) {
                                           std::lock_guard lock(mutex);
                                           lines.emplace_back(l);
                                         });
  watcher.start();
  std::thread runner([&io] { io.run(); });
  auto wait_for_line = [&](const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mutex);
        for (const auto& l : lines) {
          if (l.find(text) != std::string::npos) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };

  const auto issued = gc::ingest::issue_server_certificate(pki);
  CHECK(wait_for_line("reloaded"));
  CHECK(wait_for_line(issued.fingerprint));
  CHECK(send_pinned(server.port(), device, pin, "watch-1").presented == issued.fingerprint);

  // A key that does not belong to the certificate (what a reader sees between the two renames
  // of a renewal, or a wrong copy): the previous pair stays, and it is reported once it stays so.
  fs::copy_file(pki.ca_key(), pki.server().private_key, fs::copy_options::overwrite_existing);
  CHECK(wait_for_line("not reloaded"));
  CHECK_THROWS_WITH(gc::ingest::reload_server_certificate(*config.tls, pki.server()),
                    Catch::Contains("does not belong to"));
  const auto still = send_pinned(server.port(), device, pin, "watch-2");
  CHECK(still.complete);
  CHECK(still.presented == issued.fingerprint);

  watcher.stop();
  runner.join();
  std::error_code ignored;
  fs::remove_all(pki.dir.parent_path(), ignored);
}
