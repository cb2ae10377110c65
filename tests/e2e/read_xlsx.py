"""Prints the cells of every sheet of an XLSX file as JSON, read with openpyxl (a real reader,
not ours): {"sheet": [[cell, ...], ...]}. Used by tests/e2e/risks.rs."""

import json
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1], read_only=True)
print(json.dumps({ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}, default=str))
