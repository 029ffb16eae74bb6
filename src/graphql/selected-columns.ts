// Which columns of a table a query's selection needs, so a list reads only what the query
// shows: a page of 50 servers read with all 21 columns cost twice the statement with the 7
// the read path's page shows (bench/findings.md, issue 13).
//
// Each field says what it reads. An exposed field (`t.exposeString("hostname")`) reads its
// own column; any other field declares its columns with `reads(...)`. A selected field that
// declares nothing makes the whole row be read: a field added without a declaration is
// slower, never wrong.
import { Kind, getNamedType, isObjectType, type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import { ALL_COLUMNS, type Columns } from "../domain/kernel/index.ts";

/** The field's extensions saying which columns of its parent's row it reads (none: `reads()`). */
export function reads<Row>(...columns: Array<keyof Row & string>) {
  return { columns };
}

interface FieldExtensions {
  pothosExposedField?: string;
  columns?: string[];
}

const remembered = new WeakMap<FieldNode, ReadonlyArray<string> | null>();

/**
 * The columns the objects at `path` below this field need (`["edges", "node"]` for a
 * connection's nodes), with `key` (the row's id) always among them.
 */
export function selectedColumns<Row>(info: GraphQLResolveInfo, path: readonly string[], key: keyof Row & string): Columns<Row> {
  // A parsed document is cached and reused, so its field node is a key that lasts; with
  // several nodes for one field (the same field asked twice) the merge is computed each time.
  const first = info.fieldNodes[0];
  if (info.fieldNodes.length === 1 && remembered.has(first)) return remembered.get(first) as Columns<Row>;
  let type = getNamedType(info.returnType);
  let sets = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const name of path) {
    if (!isObjectType(type)) return ALL_COLUMNS;
    const fieldType = type.getFields()[name]?.type;
    if (!fieldType) return ALL_COLUMNS;
    sets = fieldsNamed(sets, name, info).flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
    type = getNamedType(fieldType);
  }
  const columns = isObjectType(type) ? columnsOf(type, sets, info, key) : ALL_COLUMNS;
  if (info.fieldNodes.length === 1) remembered.set(first, columns);
  return columns as Columns<Row>;
}

function columnsOf(type: GraphQLObjectType, sets: SelectionSetNode[], info: GraphQLResolveInfo, key: string): string[] | typeof ALL_COLUMNS {
  const columns = new Set([key]);
  const fields = type.getFields();
  for (const node of fieldsIn(sets, info, type.name)) {
    const name = node.name.value;
    // __typename reads nothing; a node's global `id` is made of the key.
    if (name === "__typename" || name === "id") continue;
    const extensions = (fields[name]?.extensions ?? {}) as FieldExtensions;
    if (extensions.pothosExposedField) columns.add(extensions.pothosExposedField);
    else if (extensions.columns) for (const column of extensions.columns) columns.add(column);
    else return ALL_COLUMNS;
  }
  return [...columns].sort();
}

/** The fields of these selection sets, fragments included (those on another object type left out). */
function fieldsIn(sets: SelectionSetNode[], info: GraphQLResolveInfo, typeName: string | null): FieldNode[] {
  const found: FieldNode[] = [];
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) found.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value, typeName, info)) visit(selection.selectionSet);
      } else {
        const fragment = info.fragments[selection.name.value];
        if (fragment && applies(fragment.typeCondition.name.value, typeName, info)) visit(fragment.selectionSet);
      }
    }
  };
  sets.forEach(visit);
  return found;
}

function fieldsNamed(sets: SelectionSetNode[], name: string, info: GraphQLResolveInfo): FieldNode[] {
  return fieldsIn(sets, info, null).filter((node) => node.name.value === name);
}

/** A fragment on an interface or union may hold fields of the object; one on another object may not. */
function applies(condition: string | undefined, typeName: string | null, info: GraphQLResolveInfo): boolean {
  if (condition === undefined || typeName === null || condition === typeName) return true;
  return !isObjectType(info.schema.getType(condition));
}
