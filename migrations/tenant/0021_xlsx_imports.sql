-- Excel workbooks are imported like CSV files and remembered as such (`work::import`).
ALTER TABLE imports DROP CONSTRAINT imports_kind_check;
ALTER TABLE imports ADD CONSTRAINT imports_kind_check CHECK (kind IN ('csv', 'xlsx', 'trello'));
