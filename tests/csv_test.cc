// Tests for the CSV layer (src/io/csv.h): RFC 4180 parsing with record line
// numbers, header checks, CsvField quoting, and CellReader's typed cells.
#include "io/csv.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace infersave::io {
namespace {

// Parses text that must be valid; a failure reports the parser's message.
CsvTable MustParse(std::string_view text, std::string_view source = "t.csv") {
  auto table = ParseCsv(text, source);
  EXPECT_TRUE(table.ok()) << table.error().message();
  return table.ok() ? *table : CsvTable{};
}

// The error message for text that must be rejected as invalid input.
std::string ParseError(std::string_view text, std::string_view source = "t.csv") {
  auto table = ParseCsv(text, source);
  if (table.ok()) {
    ADD_FAILURE() << "expected a parse error for: " << text;
    return "";
  }
  EXPECT_EQ(table.error().code(), ErrorCode::kInvalidInput);
  return table.error().message();
}

std::vector<int> LinesOf(const CsvTable& table) {
  std::vector<int> lines;
  for (const CsvRecord& r : table.rows) lines.push_back(r.line);
  return lines;
}

using Fields = std::vector<std::string>;

// ---- ParseCsv: structure -----------------------------------------------------

TEST(CsvParseTest, HeaderRowsAndLineNumbers) {
  CsvTable t = MustParse("a,b,c\n1,2,3\n4,5,6\n", "cat.csv");
  EXPECT_EQ(t.source, "cat.csv");
  EXPECT_EQ(t.header, (Fields{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"1", "2", "3"}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"4", "5", "6"}));
  EXPECT_EQ(LinesOf(t), (std::vector<int>{2, 3}));
}

TEST(CsvParseTest, ColumnLookupIsExactAndCaseSensitive) {
  CsvTable t = MustParse("Name,Price,Region\nx,1,r\n");
  EXPECT_EQ(t.Column("Name"), std::optional<size_t>(0));
  EXPECT_EQ(t.Column("Region"), std::optional<size_t>(2));
  EXPECT_EQ(t.Column("price"), std::nullopt);
  EXPECT_EQ(t.Column("Pric"), std::nullopt);
  EXPECT_EQ(t.Column(""), std::nullopt);
}

TEST(CsvParseTest, HeaderOnlyGivesNoRows) {
  CsvTable t = MustParse("a,b\n");
  EXPECT_EQ(t.header, (Fields{"a", "b"}));
  EXPECT_TRUE(t.rows.empty());
}

TEST(CsvParseTest, LastRecordWithoutNewline) {
  CsvTable t = MustParse("a,b\n1,2\n3,4");
  EXPECT_EQ(LinesOf(t), (std::vector<int>{2, 3}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"3", "4"}));
}

TEST(CsvParseTest, BlankLinesAreSkippedButCounted) {
  CsvTable t = MustParse("a\n\n1\n\n\n2\n\n");
  EXPECT_EQ(t.header, (Fields{"a"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"1"}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"2"}));
  EXPECT_EQ(LinesOf(t), (std::vector<int>{3, 6}));
}

TEST(CsvParseTest, EmptyFieldsAreKept) {
  CsvTable t = MustParse("a,b,c\n,,\n1,,3\n");
  EXPECT_EQ(t.rows[0].fields, (Fields{"", "", ""}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"1", "", "3"}));
}

// ---- ParseCsv: quoting -----------------------------------------------------

TEST(CsvParseTest, QuotedFieldsWithCommasQuotesAndNewlines) {
  const char* text =
      "name,note\n"
      "\"x, y\",\"say \"\"hi\"\"\"\n"
      "plain,\"two\n"
      "lines\"\n"
      "last,\"\"\n";
  CsvTable t = MustParse(text);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"x, y", "say \"hi\""}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"plain", "two\nlines"}));
  EXPECT_EQ(t.rows[2].fields, (Fields{"last", ""}));
  // The multi-line record starts on line 3; the one after it on line 5.
  EXPECT_EQ(LinesOf(t), (std::vector<int>{2, 3, 5}));
}

TEST(CsvParseTest, RecordStartingWithMultiLineFieldKeepsItsStartLine) {
  const char* text =
      "h1,h2\n"
      "\"first\n"
      "second\n"
      "third\",x\n"
      "y,z\n";
  CsvTable t = MustParse(text);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"first\nsecond\nthird", "x"}));
  EXPECT_EQ(LinesOf(t), (std::vector<int>{2, 5}));
}

TEST(CsvParseTest, FinalMultiLineRecordWithoutNewlineKeepsItsStartLine) {
  CsvTable t = MustParse("h1,h2\n1,2\n\"a\nb\",c");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1].fields, (Fields{"a\nb", "c"}));
  EXPECT_EQ(LinesOf(t), (std::vector<int>{2, 3}));
}

TEST(CsvParseTest, GpuInfoStyleJsonCellRoundTrips) {
  // The AWS catalog's GpuInfo: JSON with every quote doubled.
  const char* text =
      "InstanceType,GpuInfo\n"
      "g4dn.xlarge,\"{\"\"Gpus\"\": [{\"\"Name\"\": \"\"T4\"\"}], \"\"TotalGpuMemoryInMiB\"\": 16384}\"\n";
  CsvTable t = MustParse(text);
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].fields[1], "{\"Gpus\": [{\"Name\": \"T4\"}], \"TotalGpuMemoryInMiB\": 16384}");
}

TEST(CsvParseTest, CrLfLineEnds) {
  CsvTable t = MustParse("a,b\r\n1,2\r\n\"x\r\ny\",4\r\n5,6\r\n");
  EXPECT_EQ(t.header, (Fields{"a", "b"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].fields, (Fields{"1", "2"}));
  EXPECT_EQ(t.rows[1].fields, (Fields{"x\r\ny", "4"}));  // inside quotes the bytes are kept
  EXPECT_EQ(t.rows[2].fields, (Fields{"5", "6"}));
  EXPECT_EQ(LinesOf(t), (std::vector<int>{2, 3, 5}));
}

TEST(CsvParseTest, CrLfFieldCountErrorNamesTheLine) {
  EXPECT_EQ(ParseError("a,b\r\n1,2\r\n3\r\n"), "t.csv:3: expected 2 fields as in the header, got 1");
}

TEST(CsvParseTest, Utf8ByteOrderMarkIsDropped) {
  CsvTable t = MustParse("\xEF\xBB\xBFname,value\nT4,1\n");
  EXPECT_EQ(t.header, (Fields{"name", "value"}));
  EXPECT_EQ(t.Column("name"), std::optional<size_t>(0));
  EXPECT_EQ(t.rows[0].fields, (Fields{"T4", "1"}));
}

TEST(CsvParseTest, Utf8ByteOrderMarkBeforeQuotedHeader) {
  CsvTable t = MustParse("\xEF\xBB\xBF\"name\",\"value\"\nT4,1\n");
  EXPECT_EQ(t.header, (Fields{"name", "value"}));
  EXPECT_EQ(t.Column("name"), std::optional<size_t>(0));
}

TEST(CsvParseTest, SpacesAroundUnquotedFieldsAreTrimmedButQuotedSpacesKept) {
  CsvTable t = MustParse(" a , b \n 1 ,\" 2 \"\n");
  EXPECT_EQ(t.header, (Fields{"a", "b"}));
  EXPECT_EQ(t.rows[0].fields, (Fields{"1", " 2 "}));
}

// ---- ParseCsv: errors --------------------------------------------------------

TEST(CsvParseTest, EmptyInput) {
  EXPECT_EQ(ParseError("", "gpus.csv"), "gpus.csv: empty file: expected a header row");
  EXPECT_EQ(ParseError("\n\n\r\n", "gpus.csv"), "gpus.csv: empty file: expected a header row");
}

TEST(CsvParseTest, NulBytesAreRejected) {
  std::string text("a,b\n1,\0,2\n", 10);
  ASSERT_EQ(text.size(), 10u);
  EXPECT_EQ(ParseError(text, "bin.csv"), "bin.csv: not a CSV text file (contains NUL bytes)");
  EXPECT_EQ(ParseError(std::string(1, '\0'), "bin.csv"),
            "bin.csv: not a CSV text file (contains NUL bytes)");
}

TEST(CsvParseTest, HeaderWithDuplicateName) {
  EXPECT_EQ(ParseError("a,b,a\n1,2,3\n"), "t.csv:1: header column 'a' appears twice");
  // Names are compared after trimming spaces.
  EXPECT_EQ(ParseError("Price,\" Price\"\n1,2\n"), "t.csv:1: header column 'Price' appears twice");
}

TEST(CsvParseTest, HeaderWithEmptyName) {
  EXPECT_EQ(ParseError("a,,c\n1,2,3\n"), "t.csv:1: header column 2 has no name");
  EXPECT_EQ(ParseError("a,b,\n1,2,3\n"), "t.csv:1: header column 3 has no name");
  EXPECT_EQ(ParseError("\" \",b\n1,2\n"), "t.csv:1: header column 1 has no name");
}

TEST(CsvParseTest, FieldCountMismatchNamesTheLine) {
  EXPECT_EQ(ParseError("a,b\n1,2\n1,2,3\n"), "t.csv:3: expected 2 fields as in the header, got 3");
  // Blank lines still count as lines.
  EXPECT_EQ(ParseError("a,b,c\n1,2,3\n\n4\n"), "t.csv:4: expected 3 fields as in the header, got 1");
  // The last line has no newline.
  EXPECT_EQ(ParseError("a,b\n1,2\n3"), "t.csv:3: expected 2 fields as in the header, got 1");
  // After a quoted field that spans lines.
  EXPECT_EQ(ParseError("a,b\n\"1\n1\",2\n3,4,5\n"), "t.csv:4: expected 2 fields as in the header, got 3");
}

TEST(CsvParseTest, FieldCountMismatchOfMultiLineRecordNamesItsFirstLine) {
  EXPECT_EQ(ParseError("a,b\n1,2\n\"x\ny\",2,3\n"), "t.csv:3: expected 2 fields as in the header, got 3");
}

TEST(CsvParseTest, UnterminatedQuote) {
  EXPECT_EQ(ParseError("a,b\n1,\"open\n"),
            "t.csv:2: malformed CSV: error parsing data while strict checking enabled "
            "(unterminated quoted field?)");
  EXPECT_EQ(ParseError("a,b\n1,2\n\"x,y"),
            "t.csv:3: malformed CSV: error parsing data while strict checking enabled "
            "(unterminated quoted field?)");
}

TEST(CsvParseTest, StrayCharacterAfterClosingQuote) {
  EXPECT_EQ(ParseError("a,b\n1,2\n\"x\"y,z\n"),
            "t.csv:3: malformed CSV: error parsing data while strict checking enabled");
}

// ---- CsvField ----------------------------------------------------------------

TEST(CsvFieldTest, PlainFieldsStayPlain) {
  EXPECT_EQ(CsvField("g4dn.xlarge"), "g4dn.xlarge");
  EXPECT_EQ(CsvField("0.526"), "0.526");
  EXPECT_EQ(CsvField("in the middle"), "in the middle");
  EXPECT_EQ(CsvField("semi;colon"), "semi;colon");
  EXPECT_EQ(CsvField(""), "");
}

TEST(CsvFieldTest, FieldsThatNeedQuotesAreQuoted) {
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("\""), "\"\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvField(" lead"), "\" lead\"");
  EXPECT_EQ(CsvField("trail "), "\"trail \"");
}

TEST(CsvFieldTest, RoundTripThroughParseCsv) {
  const std::vector<std::string> values = {
      "plain",        "a,b",   "say \"hi\"", "\"",          "\"\"", ",",        "two\nlines",
      "cr\r\nlf",     " pad ", "\ttab",      "tab\t",       "",     "semi; sp", "{'Gpus': [1, 2]}",
      "unicode \xC3\xA9", "x"};
  std::string header;
  std::string row;
  for (size_t i = 0; i < values.size(); ++i) {
    header += (i ? "," : "") + std::string("c") + std::to_string(i);
    row += (i ? "," : "") + CsvField(values[i]);
  }
  CsvTable t = MustParse(header + "\n" + row + "\n");
  ASSERT_EQ(t.rows.size(), 1u);
  ASSERT_EQ(t.rows[0].fields.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(t.rows[0].fields[i], values[i]) << "value " << i;
  }
}

// ---- CellReader and RequireColumns --------------------------------------------

class CsvCellReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = MustParse(
        "Name,Price,Count,Note\n"
        "a,0.71,1,\n"        // line 2
        "b,,2,\n"            // line 3
        "c,n/a,3,\n"         // line 4
        "d,-1,0,\n"          // line 5
        "e,0,4,\n"           // line 6
        "f,1e3,+5,\"  padded\t\"\n"  // line 7
        "g,inf,0x10,\n",     // line 8
        "catalog.csv");
    ASSERT_EQ(table_.rows.size(), 7u);
  }
  CellReader Row(size_t i) const { return CellReader(table_, table_.rows[i]); }
  static std::string ErrorOf(const Result<std::optional<double>>& r) {
    if (r.ok()) {
      ADD_FAILURE() << "expected an error";
      return "";
    }
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
    return r.error().message();
  }
  CsvTable table_;
};

TEST_F(CsvCellReaderTest, TextAndWhere) {
  CellReader a = Row(0);
  EXPECT_EQ(a.Text("Name"), "a");
  EXPECT_EQ(a.Text("Price"), "0.71");
  EXPECT_EQ(a.Text("Absent"), "");
  EXPECT_EQ(a.line(), 2);
  EXPECT_EQ(a.Where("Price"), "catalog.csv:2: column 'Price'");
  EXPECT_EQ(Row(5).Text("Note"), "padded");  // trimmed of spaces and tabs
}

TEST_F(CsvCellReaderTest, ValidNumbers) {
  auto price = Row(0).Number("Price", true);
  ASSERT_TRUE(price.ok()) << price.error().message();
  ASSERT_TRUE(price->has_value());
  EXPECT_DOUBLE_EQ(**price, 0.71);
  auto e = Row(5).Number("Price", true);
  ASSERT_TRUE(e.ok());
  EXPECT_DOUBLE_EQ(**e, 1000.0);
  auto plus = Row(5).Number("Count", true);
  ASSERT_TRUE(plus.ok());
  EXPECT_DOUBLE_EQ(**plus, 5.0);
}

TEST_F(CsvCellReaderTest, MissingValue) {
  EXPECT_EQ(ErrorOf(Row(1).Number("Price", true)), "catalog.csv:3: column 'Price': missing value");
  auto optional = Row(1).Number("Price", false);
  ASSERT_TRUE(optional.ok());
  EXPECT_FALSE(optional->has_value());
}

TEST_F(CsvCellReaderTest, AbsentColumn) {
  EXPECT_EQ(ErrorOf(Row(0).Number("SpotPrice", true)), "catalog.csv:2: column 'SpotPrice': missing value");
  auto optional = Row(0).Number("SpotPrice", false);
  ASSERT_TRUE(optional.ok());
  EXPECT_FALSE(optional->has_value());
}

TEST_F(CsvCellReaderTest, NotANumber) {
  EXPECT_EQ(ErrorOf(Row(2).Number("Price", true)),
            "catalog.csv:4: column 'Price': expected a number, got \"n/a\"");
  EXPECT_EQ(ErrorOf(Row(2).Number("Price", false)),
            "catalog.csv:4: column 'Price': expected a number, got \"n/a\"");
  EXPECT_EQ(ErrorOf(Row(6).Number("Price", true)),
            "catalog.csv:8: column 'Price': expected a number, got \"inf\"");
  EXPECT_EQ(ErrorOf(Row(6).Number("Count", true)),
            "catalog.csv:8: column 'Count': expected a number, got \"0x10\"");
}

TEST_F(CsvCellReaderTest, NegativeNumber) {
  EXPECT_EQ(ErrorOf(Row(3).Number("Price", true)),
            "catalog.csv:5: column 'Price': expected a positive number, got -1");
  EXPECT_EQ(ErrorOf(Row(3).Number("Price", true, /*allow_zero=*/true)),
            "catalog.csv:5: column 'Price': expected a non-negative number, got -1");
}

TEST_F(CsvCellReaderTest, ZeroNumber) {
  EXPECT_EQ(ErrorOf(Row(4).Number("Price", true)),
            "catalog.csv:6: column 'Price': expected a positive number, got 0");
  EXPECT_EQ(ErrorOf(Row(3).Number("Count", false)),
            "catalog.csv:5: column 'Count': expected a positive number, got 0");
  auto zero = Row(4).Number("Price", true, /*allow_zero=*/true);
  ASSERT_TRUE(zero.ok());
  ASSERT_TRUE(zero->has_value());
  EXPECT_EQ(**zero, 0.0);
}

TEST_F(CsvCellReaderTest, RequireColumns) {
  EXPECT_TRUE(RequireColumns(table_, {"Name", "Price"}).ok());
  EXPECT_TRUE(RequireColumns(table_, {}).ok());
  Status s = RequireColumns(table_, {"Name", "Region", "Zone"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(s.error().message(), "catalog.csv:1: missing required column 'Region'");
  // Column names are case-sensitive.
  Status lower = RequireColumns(table_, {"price"});
  ASSERT_FALSE(lower.ok());
  EXPECT_EQ(lower.error().message(), "catalog.csv:1: missing required column 'price'");
}

}  // namespace
}  // namespace infersave::io
