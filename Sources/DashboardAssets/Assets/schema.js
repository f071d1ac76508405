// Checks a payload against the contract's JSON Schema (draft 2020-12) before it is sent: the keywords the contract
// uses (`$ref` to `#/$defs/…`, `type` with "null" unions, `properties`, `required`, `additionalProperties: false`,
// `items`, `enum`, `minimum`, `pattern`, `format: date-time`). Anything else in a schema is reported, not ignored.

const KNOWN = new Set([
  "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "minimum", "pattern", "format",
  "description", "title", "$comment", "examples",
]);

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function pointer(path) {
  return path.length ? path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "") : "payload";
}

/** Problems of `value` against `schema` (resolved in `root`), as readable lines; empty when it matches. */
export function validate(value, schema, root, path = []) {
  const problems = [];
  if (schema.$ref) {
    const target = schema.$ref.startsWith("#/")
      ? schema.$ref.slice(2).split("/").reduce((node, key) => node && node[key.replace(/~1/g, "/").replace(/~0/g, "~")], root)
      : null;
    if (!target) return [`${pointer(path)}: the schema refers to ${schema.$ref}, which it does not hold`];
    problems.push(...validate(value, target, root, path));
  }
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key)) problems.push(`${pointer(path)}: the schema uses "${key}", which this page cannot check`);
  }
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    const fits = allowed.includes(actual) || (actual === "integer" && allowed.includes("number"));
    if (!fits) {
      problems.push(`${pointer(path)}: expected ${allowed.join(" or ")}, got ${actual === "integer" ? "number" : actual}`);
      return problems;
    }
  }
  if (schema.enum && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    problems.push(`${pointer(path)}: must be one of ${schema.enum.map((o) => JSON.stringify(o)).join(", ")}`);
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
    problems.push(`${pointer(path)}: must be at least ${schema.minimum}`);
  }
  if (typeof value === "string") {
    if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) {
      problems.push(`${pointer(path)}: does not match the pattern ${schema.pattern}`);
    }
    if (schema.format === "date-time" && !(DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))) {
      problems.push(`${pointer(path)}: must be an ISO 8601 date-time such as 2026-11-26T12:00:00.000Z`);
    }
  }
  if (actual === "object") {
    const properties = schema.properties || {};
    for (const name of schema.required || []) {
      if (!(name in value)) problems.push(`${pointer(path)}: missing field "${name}"`);
    }
    for (const [name, member] of Object.entries(value)) {
      if (properties[name]) {
        problems.push(...validate(member, properties[name], root, [...path, name]));
      } else if (schema.additionalProperties === false) {
        problems.push(`${pointer(path)}: field "${name}" is not in the contract`);
      }
    }
  }
  if (actual === "array" && schema.items) {
    value.forEach((item, index) => problems.push(...validate(item, schema.items, root, [...path, index])));
  }
  return problems;
}
