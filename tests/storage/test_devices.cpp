// Device credentials: random secret shown once, only a salted PBKDF2 hash stored, revocation.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <thread>

#include "storage_test_util.hpp"

using namespace gc::storage;
using gc::storage::test::backend_name;
using gc::storage::test::TestDb;

namespace {

struct DeviceRow {
  std::vector<unsigned char> hash;
  std::vector<unsigned char> salt;
  int iterations = 0;
};

// The stored row, read through a separate connection.
DeviceRow raw_device(const TestDb& db, const std::string& id) {
  auto conn = db.raw();
  auto q = conn->query("SELECT secret_hash, salt, iterations FROM devices WHERE device_id = ?");
  q.bind(1, id);
  REQUIRE(q.step());
  DeviceRow r;
  const auto hash = q.blob_view(0);
  r.hash.assign(hash.begin(), hash.end());
  const auto salt = q.blob_view(1);
  r.salt.assign(salt.begin(), salt.end());
  r.iterations = static_cast<int>(q.int64(2));
  return r;
}

bool all_of_chars(const std::string& s, const std::string& allowed) {
  return s.find_first_not_of(allowed) == std::string::npos;
}

}  // namespace

TEST_CASE("device add, verify, wrong secret, unknown device, revoke", "[storage][devices]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const NewDevice dev = store->add_device("Lishui Township Clinic");
  // cart- and 8 hex digits.
  REQUIRE(dev.device_id.size() == 13);
  CHECK(dev.device_id.substr(0, 5) == "cart-");
  CHECK(all_of_chars(dev.device_id.substr(5), "0123456789abcdef"));
  // 32 random bytes, base64url without padding: 43 characters.
  CHECK(dev.secret.size() == 43);
  CHECK(all_of_chars(dev.secret,
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"));

  CHECK(store->verify_device(dev.device_id, dev.secret));
  CHECK(store->verify_device(dev.device_id, dev.secret));  // second time: cached path
  std::string wrong = dev.secret;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  CHECK_FALSE(store->verify_device(dev.device_id, wrong));
  CHECK_FALSE(store->verify_device(dev.device_id, ""));
  CHECK_FALSE(store->verify_device("cart-00000000", dev.secret));

  const auto devices = store->list_devices();
  REQUIRE(devices.size() == 1);
  CHECK(devices[0].device_id == dev.device_id);
  CHECK(devices[0].clinic == "Lishui Township Clinic");
  CHECK_FALSE(devices[0].revoked);

  CHECK(store->revoke_device(dev.device_id));
  CHECK_FALSE(store->verify_device(dev.device_id, dev.secret));
  CHECK(store->list_devices()[0].revoked);
  CHECK(store->revoke_device(dev.device_id));  // idempotent
  CHECK_FALSE(store->revoke_device("no-such-cart"));

  // Registration and revocation are audited, once each.
  const auto audit = store->audit_log(0, 100);
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].action == "device_add");
  CHECK(audit[0].target == dev.device_id);
  CHECK(audit[1].action == "device_revoke");
}

TEST_CASE("explicit device ids: accepted, duplicates and bad characters refused",
          "[storage][devices]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const auto dev = store->add_device("Clinic A", "cart-a1");
  CHECK(dev.device_id == "cart-a1");
  CHECK_THROWS_AS(store->add_device("Clinic B", "cart-a1"), Error);
  CHECK_THROWS_AS(store->add_device("Clinic B", "bad id with spaces"), Error);
  CHECK_THROWS_AS(store->add_device("", "cart-b1"), Error);
  CHECK(store->list_devices().size() == 1);
}

TEST_CASE("only a salted slow hash is stored, different per device", "[storage][devices]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const auto a = store->add_device("Clinic A");
  const auto b = store->add_device("Clinic A");
  CHECK(a.device_id != b.device_id);
  CHECK(a.secret != b.secret);
  const auto ra = raw_device(db, a.device_id);
  const auto rb = raw_device(db, b.device_id);
  CHECK(ra.iterations >= 100000);
  CHECK(ra.salt.size() == 16);
  CHECK(ra.hash.size() == 32);
  CHECK(ra.salt != rb.salt);
  CHECK(ra.hash != rb.hash);
  // The secret does not appear in the stored hash.
  const std::string hash_text(ra.hash.begin(), ra.hash.end());
  CHECK(hash_text.find(a.secret) == std::string::npos);
  CHECK(std::vector<unsigned char>(a.secret.begin(), a.secret.begin() + 32) != ra.hash);
  // Independent recomputation: the stored hash is PBKDF2-HMAC-SHA256(secret, salt, iterations).
  std::vector<unsigned char> expected(32);
  REQUIRE(PKCS5_PBKDF2_HMAC(a.secret.data(), static_cast<int>(a.secret.size()), ra.salt.data(),
                            static_cast<int>(ra.salt.size()), ra.iterations, EVP_sha256(),
                            static_cast<int>(expected.size()), expected.data()) == 1);
  CHECK(expected == ra.hash);
}

TEST_CASE("revocation by another process is seen despite the verification cache",
          "[storage][devices]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto server = Store::open(db.location());
  const auto dev = server->add_device("Clinic A");
  REQUIRE(server->verify_device(dev.device_id, dev.secret));  // now cached in `server`
  {
    OpenOptions opts;
    opts.audit_actor = "cli:test";
    auto cli = Store::open(db.location(), opts);  // e.g. `greenchannel device revoke` meanwhile
    CHECK(cli->revoke_device(dev.device_id));
    CHECK(cli->audit_log(0, 10).back().actor == "cli:test");
  }
  CHECK_FALSE(server->verify_device(dev.device_id, dev.secret));
}

TEST_CASE("verification from several threads at once", "[storage][devices][threads]") {
  const auto backend = GC_BACKENDS;
  INFO(backend_name(backend));
  TestDb db(backend);
  auto store = Store::open(db.location());
  const auto dev = store->add_device("Clinic A");
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      if (store->verify_device(dev.device_id, t % 2 == 0 ? dev.secret : dev.secret + "x")) {
        ++ok;
      } else {
        ++refused;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == 2);
  CHECK(refused == 2);
}
