/**
 * Reading a catalogue spec in tests: which classes its rows name, in which scope, with which message.
 * The tests derive their tables from the spec (the one table), never from a copy of it.
 */
import type {
  CatalogueContext,
  CatalogueRows,
  CatalogueSpec,
  ErrorClass,
  MessageSpec,
  Row,
  Rule,
  SandboxSdkError,
} from "../../src/index.js";

/** One entry of a row: its class, its rule's message, and whether it has a condition. */
export interface SpecEntry<C extends CatalogueContext = CatalogueContext> {
  readonly cls: ErrorClass;
  readonly message: MessageSpec<C> | undefined;
  readonly conditional: boolean;
}

/** The entries of a row, in order. */
export function entriesOf<C extends CatalogueContext>(row: Row<C> | undefined): SpecEntry<C>[] {
  if (row === undefined) return [];
  const list = (Array.isArray(row) ? row : [row]) as readonly (Rule<C> | ErrorClass)[];
  return list.map((entry) =>
    typeof entry === "function"
      ? { cls: entry, message: undefined, conditional: false }
      : { cls: entry.then, message: entry.message, conditional: entry.when !== undefined },
  );
}

/** A level of a spec: the top (scope `undefined`) or one scope. */
export interface SpecLevel<C extends CatalogueContext = CatalogueContext> {
  readonly scope: string | undefined;
  readonly rows: CatalogueRows<C>;
}

/** The levels of a spec: each scope, then the top level. */
export function levelsOf<C extends CatalogueContext>(
  spec: CatalogueSpec<SandboxSdkError, C>,
): SpecLevel<C>[] {
  const levels: SpecLevel<C>[] = Object.entries(spec.scopes ?? {}).map(([scope, rows]) => ({ scope, rows }));
  levels.push({ scope: undefined, rows: spec });
  return levels;
}

/** Every class a spec can produce: its roots, `network`, `timeout`, and every row's classes. */
export function producibleClassesOf<C extends CatalogueContext>(
  spec: CatalogueSpec<SandboxSdkError, C>,
): Set<string> {
  const classes = new Set<string>([spec.root.prototype.name]);
  for (const cls of [spec.network, spec.timeout]) if (cls !== undefined) classes.add(cls.prototype.name);
  for (const { rows } of levelsOf(spec)) {
    if (rows.root !== undefined) classes.add(rows.root.prototype.name);
    for (const table of [rows.reasons, rows.codes, rows.httpStatuses] as (
      | Record<string, Row<C>>
      | undefined
    )[]) {
      for (const row of Object.values(table ?? {}))
        for (const entry of entriesOf(row)) classes.add(entry.cls.prototype.name);
    }
  }
  return classes;
}
