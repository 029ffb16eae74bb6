// Which columns of its rows a read returns. The caller names the ones it will read (the API
// names those its query selects, graphql/selected-columns.ts) or asks for ALL_COLUMNS; rows
// read with a list of columns hold those and no others.
export const ALL_COLUMNS = null;
export type Columns<Row> = ReadonlyArray<keyof Row & string> | typeof ALL_COLUMNS;
