#include "tools/leadflowctl/table.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace leadflow::ctl {
namespace {

// Display width: counts UTF-8 code points, so "—" and accented names stay aligned.
size_t Width(const std::string& s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string GroupThousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = Width(columns_[c].title);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], Width(row[c]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (c > 0) text += "  ";
      const std::string pad(widths[c] - Width(cells[c]), ' ');
      text += columns_[c].numeric ? pad + cells[c] : cells[c] + pad;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out += '\n';
  };
  std::vector<std::string> titles;
  for (const auto& column : columns_) titles.push_back(column.title);
  line(titles);
  for (const auto& row : rows_) line(row);
  return out;
}

std::string FormatCount(int64_t n) {
  if (n < 0) return "-" + GroupThousands(static_cast<uint64_t>(-(n + 1)) + 1);
  return GroupThousands(static_cast<uint64_t>(n));
}

std::string FormatPercent(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", rate * 100.0);
  return buf;
}

std::string FormatMoney(const v1::Money& money) {
  if (money.currency_code().empty() && money.amount_micros() == 0) return "-";
  const int64_t micros = money.amount_micros();
  const bool negative = micros < 0;
  const uint64_t abs_micros =
      negative ? static_cast<uint64_t>(-(micros + 1)) + 1 : static_cast<uint64_t>(micros);
  // Cents, rounded half up: amounts are kept in micros, shown in hundredths.
  const uint64_t cents = (abs_micros + 5000) / 10000;
  char frac[4];
  std::snprintf(frac, sizeof(frac), "%02u", static_cast<unsigned>(cents % 100));
  std::string out = (negative ? "-" : "") + GroupThousands(cents / 100) + "." + frac;
  if (!money.currency_code().empty()) out += " " + money.currency_code();
  return out;
}

}  // namespace leadflow::ctl
