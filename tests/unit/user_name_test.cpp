// normalize_user_name: user names as CockroachDB stores them (docs: CREATE USER, "Role names are
// case-insensitive"; `cockroach cert create-client` writes the normalized name).
#include <gtest/gtest.h>

#include "roachrun/connection.hpp"

namespace {

using roachrun::normalize_user_name;

TEST(UserName, LowerCasesAsCockroachDbDoes) {
  EXPECT_EQ(normalize_user_name("MaxRoach"), "maxroach");
  EXPECT_EQ(normalize_user_name("maxroach"), "maxroach");
  EXPECT_EQ(normalize_user_name("ROOT"), "root");
  EXPECT_EQ(normalize_user_name("app_User.2"), "app_user.2");
}

TEST(UserName, LowerCasesLettersBeyondAscii) {
  EXPECT_EQ(normalize_user_name("M\xC3\x9C" "LLER"), "m\xC3\xBC" "ller");        // MÜLLER -> müller
  EXPECT_EQ(normalize_user_name("\xCE\x9A\xCE\xB1\xCF\x84"), "\xCE\xBA\xCE\xB1\xCF\x84");  // Κατ -> κατ
}

TEST(UserName, KeepsBytesThatAreNotUtf8) {
  EXPECT_EQ(normalize_user_name("A\xFF" "B"), "a\xFF" "b");
  EXPECT_EQ(normalize_user_name("\xC3"), "\xC3");  // a truncated sequence
  EXPECT_EQ(normalize_user_name(""), "");
}

}  // namespace
