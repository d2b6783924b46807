#include "identity/directory.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/random.h"
#include "store/scalar_for_testing.h"

namespace carnet::identity {
namespace {

using json = nlohmann::json;

const std::string kHeader =
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Libellé civilité d'exercice|Nom d'exercice|"
    "Prénom d'exercice|Code profession|Libellé profession|Code savoir-faire|Libellé savoir-faire|"
    "Identifiant technique de la structure|Raison sociale site|Code postal (coord. structure)|"
    "Libellé commune (coord. structure)|Téléphone (coord. structure)|Colonne inconnue|\n";

std::string gp(const std::string& first = "Claire") {
  return "8|10100000001|810100000001|Docteur|MARTIN|" + first + "|10|Médecin|SM54|Médecine générale|R1|CABINET \"LE SOLEIL\"|69002|Lyon|0478000001|x|\n";
}
const std::string kGpSecondSite = "8|10100000001|810100000001|Docteur|MARTIN|Claire|10|Médecin|SM54|Médecine générale|F69|CENTRE DE SANTE|69001|Lyon||y|\n";
const std::string kPharmacist = "8|10100000002|810100000002||DUBOIS|Marc|21|Pharmacien|||R3|PHARMACIE|69001|Lyon||z|\n";

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = std::move(store::open_sqlite({dir_.file("carnet.db")}).value()); }
  Result<DirectorySummary> import(const std::string& text, std::vector<DirectoryLineError>* errors = nullptr) {
    DirectoryImporter importer(*store_, ring_, clock_);
    return importer.run(
        read_from(text),
        [&](const DirectoryLineError& e) {
          if (errors) errors->push_back(e);
        });
  }
  json read(const std::string& type, const std::string& id) {
    json out;
    EXPECT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) {
      auto r = fhir::ResourceStore(ring_, clock_).read(tx, fhir::kDirectoryCompartment, type, id);
      if (!r.is_ok()) return r.status();
      out = json::parse(r->json);
      return Status::ok();
    }).is_ok());
    return out;
  }
  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  std::unique_ptr<store::Store> store_;
};

TEST_F(DirectoryTest, ImportsPractitionersRolesAndOrganizations) {
  std::vector<DirectoryLineError> errors;
  auto s = import(kHeader + gp() + kGpSecondSite + kPharmacist + "8|x|ABC|Dr|NOBODY|A|10|Médecin||||||||\n", &errors);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->lines, 4u);
  EXPECT_EQ(s->invalid, 1u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5u);
  EXPECT_EQ(s->practitioners_created, 2u);  // one GP with two workplaces, one pharmacist
  EXPECT_EQ(s->roles_created, 3u);
  EXPECT_EQ(s->organizations_created, 3u);

  json p = read("Practitioner", practitioner_id("810100000001"));
  EXPECT_EQ(p["identifier"][0]["system"], kIdNatPsSystem);
  EXPECT_EQ(p["identifier"][0]["value"], "810100000001");
  EXPECT_EQ(p["name"][0]["family"], "MARTIN");
  EXPECT_EQ(p["name"][0]["prefix"][0], "Docteur");
  EXPECT_EQ(p["qualification"][0]["code"]["coding"][0]["code"], "10");
  EXPECT_EQ(p["active"], true);
  json org = read("Organization", "org-R1");
  EXPECT_EQ(org["name"], "CABINET \"LE SOLEIL\"");  // a stray quote is data, not CSV syntax
  EXPECT_EQ(org["address"][0]["postalCode"], "69002");
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM resources WHERE resource_type = 'PractitionerRole'"), "3");
}

TEST_F(DirectoryTest, ReimportUpdatesChangesAndDeactivatesWhatVanished) {
  ASSERT_TRUE(import(kHeader + gp() + kGpSecondSite + kPharmacist).is_ok());
  auto same = import(kHeader + gp() + kGpSecondSite + kPharmacist);
  ASSERT_TRUE(same.is_ok());
  EXPECT_EQ(same->practitioners_created + same->practitioners_updated + same->roles_created + same->roles_updated, 0u);
  EXPECT_EQ(same->practitioners_deactivated + same->roles_deactivated, 0u);

  clock_.t += std::chrono::hours(24);
  auto changed = import(kHeader + gp("Claire-Marie"));  // renamed; second site and pharmacist gone
  ASSERT_TRUE(changed.is_ok());
  EXPECT_EQ(changed->practitioners_updated, 1u);
  EXPECT_EQ(changed->practitioners_deactivated, 1u);
  EXPECT_EQ(changed->roles_deactivated, 2u);
  EXPECT_EQ(read("Practitioner", practitioner_id("810100000001"))["name"][0]["given"][0], "Claire-Marie");
  EXPECT_EQ(read("Practitioner", practitioner_id("810100000002"))["active"], false);
  EXPECT_EQ(read("Practitioner", practitioner_id("810100000002"))["meta"]["versionId"], "2");

  // The pharmacist comes back: active again.
  clock_.t += std::chrono::hours(24);
  auto back = import(kHeader + gp("Claire-Marie") + kPharmacist);
  EXPECT_EQ(back->practitioners_updated, 1u);
  EXPECT_EQ(read("Practitioner", practitioner_id("810100000002"))["active"], true);
}

TEST_F(DirectoryTest, RefusesAFileWithoutTheNeededColumns) {
  auto r = import("Nom|Prénom\nA|B\n");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("Identification nationale PP"), std::string::npos);
  EXPECT_FALSE(import("").is_ok());
}

}  // namespace
}  // namespace carnet::identity
