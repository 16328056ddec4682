// A form generated from a JSON Schema object (a workflow's input schema): one labelled control per
// property, nested objects as fieldsets. collect() gives the value to send; showErrors() puts the
// API's 400 details (`input.<field>`) next to their fields.

import { h, replace, uniqueId } from "./dom.js";

const LONG_TEXT = 200;

export function schemaForm(schema, { prefix = "input", overrides = {} } = {}) {
  const fields = [];
  const root = resolve(schema, schema);
  const element = objectFields(root, schema, [], fields, overrides);
  const formError = h("div", { class: "form-errors" });

  return {
    element: h("div", { class: "schema-form" }, element, formError),
    collect: () => collectObject(fields),
    clearErrors() {
      for (const field of fields) field.setError(null);
      replace(formError);
    },
    /** Shows each detail at its field; returns the details no field took. */
    showErrors(details) {
      const unplaced = [];
      for (const detail of details) {
        const path = String(detail.field || "").replace(new RegExp(`^${prefix}\\.?`), "");
        const field = fields
          .filter((candidate) => path === candidate.path || path.startsWith(`${candidate.path}.`) || path.startsWith(`${candidate.path}[`))
          .sort((a, b) => b.path.length - a.path.length)[0];
        if (field) field.setError(detail.message);
        else unplaced.push(detail);
      }
      const first = fields.find((field) => field.hasError());
      if (first) first.focus();
      return unplaced;
    },
  };
}

function resolve(node, root) {
  let current = node || {};
  for (let depth = 0; current.$ref && depth < 10; depth += 1) {
    const path = current.$ref.replace(/^#\//, "").split("/");
    current = path.reduce((value, key) => (value ? value[key] : undefined), root) || {};
  }
  const options = current.anyOf || current.oneOf;
  if (Array.isArray(options)) {
    const concrete = options.filter((option) => option.type !== "null");
    if (concrete.length === 1) {
      return { ...resolve(concrete[0], root), ...without(current, ["anyOf", "oneOf"]), nullable: concrete.length < options.length };
    }
  }
  if ("const" in current && !current.enum) return { ...current, enum: [current.const] };
  return current;
}

function without(object, keys) {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
}

function objectFields(schema, root, path, fields, overrides) {
  const required = new Set(schema.required || []);
  return Object.entries(schema.properties || {}).map(([name, property]) => {
    const resolved = { ...resolve(property, root), ...(overrides[[...path, name].join(".")] || {}) };
    const fieldPath = [...path, name];
    if (resolved.type === "object" && resolved.properties) {
      return h(
        "fieldset",
        { class: "nested" },
        h("legend", {}, resolved.title || humanize(name)),
        objectFields(resolved, root, fieldPath, fields, overrides),
      );
    }
    const field = makeField(name, fieldPath.join("."), resolved, required.has(name));
    fields.push(field);
    return field.element;
  });
}

function makeField(name, path, schema, required) {
  const id = uniqueId(`field-${name}`);
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy = [schema.description ? helpId : null, errorId].filter(Boolean).join(" ");
  const kind = fieldKind(schema);
  const control = makeControl(kind, schema, { id, name: path, required, describedBy });
  const error = h("p", { id: errorId, class: "field-error", hidden: true });
  const label = h("label", { for: id }, schema.title || humanize(name), required ? h("span", { class: "required" }, " (required)") : null);
  const help = schema.description ? h("p", { id: helpId, class: "help" }, schema.description) : null;
  const element =
    kind === "boolean"
      ? h("div", { class: ["field", "field-checkbox"], dataset: { field: path } }, control, label, help, error)
      : h("div", { class: "field", dataset: { field: path } }, label, help, control, error);
  return {
    path,
    element,
    focus: () => control.focus(),
    hasError: () => !error.hidden,
    setError(message) {
      error.hidden = !message;
      replace(error, message || "");
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    },
    read: () => readControl(kind, control, schema, required),
  };
}

/** A property's name as a label, where the schema gives no title: `delay_seconds` → "Delay seconds". */
function humanize(name) {
  const words = String(name).replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fieldKind(schema) {
  if (Array.isArray(schema.enum)) return "enum";
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "integer" || schema.type === "number") return "number";
  if (schema.type === "array") return "list";
  if (schema.type === "string" && (schema.maxLength || 0) > LONG_TEXT) return "text";
  if (schema.type === "string") return "string";
  return "json";
}

function makeControl(kind, schema, { id, name, required, describedBy }) {
  const common = { id, name, "aria-describedby": describedBy, required: required && kind !== "boolean" };
  const initial = schema.default;
  switch (kind) {
    case "enum":
      return h(
        "select",
        common,
        required ? null : h("option", { value: "" }, "—"),
        schema.enum.map((value, index) =>
          h("option", { value: String(value), selected: initial === value }, (schema.enumLabels && schema.enumLabels[index]) || String(value)),
        ),
      );
    case "boolean":
      return h("input", { ...common, type: "checkbox", checked: Boolean(initial) });
    case "number":
      return h("input", {
        ...common,
        type: "number",
        inputmode: schema.type === "integer" ? "numeric" : "decimal",
        step: schema.type === "integer" ? "1" : "any",
        min: schema.minimum,
        max: schema.maximum,
        value: initial ?? "",
      });
    case "list":
      return h("textarea", { ...common, rows: "3", placeholder: "One per line" }, Array.isArray(initial) ? initial.join("\n") : "");
    case "text":
      return h("textarea", { ...common, rows: "3", maxlength: schema.maxLength }, initial ?? "");
    case "string":
      return h("input", { ...common, type: "text", maxlength: schema.maxLength, value: initial ?? "", autocomplete: "off" });
    default:
      return h("textarea", { ...common, rows: "4", class: "json-input", placeholder: "JSON" }, initial === undefined ? "" : JSON.stringify(initial));
  }
}

const OMIT = Symbol("omit");

function readControl(kind, control, schema, required) {
  const raw = control.value;
  switch (kind) {
    case "boolean":
      return control.checked;
    case "number":
      return raw === "" ? OMIT : Number(raw);
    case "list": {
      const items = raw.split("\n").map((item) => item.trim()).filter(Boolean);
      const itemType = schema.items && schema.items.type;
      const values = itemType === "integer" || itemType === "number" ? items.map(Number) : items;
      return values.length || required ? values : OMIT;
    }
    case "json":
      if (raw.trim() === "") return OMIT;
      try {
        return JSON.parse(raw);
      } catch {
        return raw; // sent as text: the API names the field if it is wrong
      }
    case "enum": {
      if (raw === "") return OMIT;
      const match = schema.enum.find((value) => String(value) === raw);
      return match === undefined ? raw : match;
    }
    default:
      return raw === "" && !required ? OMIT : raw;
  }
}

function collectObject(fields) {
  const value = {};
  for (const field of fields) {
    const read = field.read();
    if (read === OMIT) continue;
    const keys = field.path.split(".");
    let target = value;
    for (const key of keys.slice(0, -1)) target = target[key] ??= {};
    target[keys[keys.length - 1]] = read;
  }
  return value;
}
