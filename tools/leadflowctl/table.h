// How leadflowctl shows results to a person: aligned text tables, counts with thousands
// separators, rates as percents with one decimal, money with its currency code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "leadflow/v1/common.pb.h"

namespace leadflow::ctl {

// Columns are left-aligned unless marked numeric (right-aligned). Rendered with two spaces
// between columns and no trailing spaces.
class Table {
 public:
  struct Column {
    std::string title;
    bool numeric = false;
  };
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // Cells beyond the columns are dropped; missing ones are empty.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  std::string Render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// 1234567 → "1,234,567".
std::string FormatCount(int64_t n);
// 0.4567 → "45.7%".
std::string FormatPercent(double rate);
// {EUR, 12000500000} → "12,000.50 EUR"; "-" when unset (no currency and zero).
std::string FormatMoney(const v1::Money& money);

}  // namespace leadflow::ctl
