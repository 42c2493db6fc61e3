"""A deterministic, schema-valid value for a JSON schema: the arguments of a tool call the
request forces when the reply script has none (the service's model would produce some)."""

from __future__ import annotations

_SAMPLES = {"string": "example", "integer": 1, "number": 1.0, "boolean": True, "null": None}


def value(schema: dict, defs: dict | None = None, depth: int = 0):
    """The same schema always gives the same value: the first enum or const, the default,
    the minimum for numbers, required (or all) properties of objects, one-item arrays."""
    defs = (
        defs if defs is not None else {**schema.get("$defs", {}), **schema.get("definitions", {})}
    )
    if depth > 8 or not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        return value(defs.get(schema["$ref"].split("/")[-1], {}), defs, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(key) or [] if s.get("type") != "null"]
        if options:
            return value(options[0], defs, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        names = schema.get("required") or list(properties)
        return {n: value(properties.get(n, {}), defs, depth + 1) for n in names}
    if kind == "array":
        item = value(schema.get("items") or {}, defs, depth + 1)
        return [item] * max(1, schema.get("minItems", 1))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        if low is not None:
            return low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
        return _SAMPLES[kind]
    if kind == "string":
        return "x" * schema["minLength"] if schema.get("minLength", 0) > 7 else "example"
    return _SAMPLES.get(kind)


# Cohere tool parameter definitions name Python-like types (str, int, float, bool, list, dict).
_COHERE_TYPES = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "list": "array",
    "array": "array",
    "dict": "object",
    "object": "object",
}


def cohere_schema(parameter_definitions: dict) -> dict:
    """A JSON schema for a Cohere tool's parameterDefinitions."""
    properties, required = {}, []
    for name, spec in (parameter_definitions or {}).items():
        kind = str((spec or {}).get("type", "str")).lower().split("[")[0]
        properties[name] = {"type": _COHERE_TYPES.get(kind, "string")}
        if (spec or {}).get("isRequired"):
            required.append(name)
    return {"type": "object", "properties": properties, "required": required or list(properties)}
