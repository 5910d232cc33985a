// `leadflowctl import FILE.csv`: rows of a CSV file (a trade-show badge scan, a webinar export)
// become LeadSubmissions through a column mapping, stream to the intake's StreamLeads, and every
// row that was not admitted is written, with its reason, to a file of rejected rows.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/lead.pb.h"
#include "tools/common/client_security.h"

namespace leadflow::ctl {

// RFC 4180 CSV: comma-separated, fields optionally in double quotes ("" inside quotes is a
// quote; quoted fields may hold commas and line breaks), CRLF or LF, an optional UTF-8 BOM.
class CsvReader {
 public:
  explicit CsvReader(std::string text);
  // The next record; false at the end. `line` is the 1-based line the record starts on.
  bool Next(std::vector<std::string>* fields, int* line);
  // Set when the text ended inside a quoted field.
  const std::string& error() const { return error_; }

 private:
  std::string text_;
  size_t pos_ = 0;
  int line_ = 1;
  std::string error_;
};

// One CSV record (RFC 4180: fields with commas, quotes or line breaks quoted), with its line break.
std::string CsvLine(const std::vector<std::string>& fields);

// Field paths a column can map to (LeadSubmission fields): "person.email", "company.name",
// "source.campaign_id", "custom_attributes.<key>", ... See KnownFields().
const std::vector<std::string>& KnownFields();

// Which column feeds which field. Built from the header with the default aliases ("Email",
// "E-mail Address" → person.email; "Company" → company.name; ...) and overridden by explicit
// "Column Name=field.path" entries. Unknown explicit fields are an error naming them.
struct ColumnMapping {
  std::map<size_t, std::string> field_of_column;  // column index → field path
  std::vector<std::string> unmapped;              // header names nobody maps
};
absl::StatusOr<ColumnMapping> BuildMapping(const std::vector<std::string>& header,
                                           const std::vector<std::string>& explicit_mappings);

// One row as a submission. Fails with the field and reason for values the CSV cannot carry
// (e.g. "company.employee_count: not a whole number").
absl::StatusOr<v1::LeadSubmission> RowToSubmission(const std::vector<std::string>& row,
                                                   const ColumnMapping& mapping);

struct ImportOptions {
  std::string file;
  std::string intake_address = "127.0.0.1:50051";
  local::ClientSecurity security;  // how to reach intake (TLS, token)
  std::string source_system = "csv";
  std::vector<std::string> mappings;  // "Column=field.path"
  std::string rejected_file;          // default: FILE.rejected.csv
  bool progress = true;
  int attempts = 3;  // whole-stream retries on UNAVAILABLE (idempotency keys make them safe)
};

struct ImportSummary {
  int64_t rows = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;  // invalid locally or at admission
  double seconds = 0;
};

// Runs the import; the summary says what happened to every row. Fails only when the intake could
// not be reached or the file not read/written.
absl::StatusOr<ImportSummary> RunImport(const ImportOptions& options);

}  // namespace leadflow::ctl
