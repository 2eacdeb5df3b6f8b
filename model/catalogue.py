"""The catalogue in ``spec/`` as typed Python values.

Every YAML file under the spec folder may hold any of the catalogue's sections (schema:
``spec/schema/catalogue.schema.json``); the catalogue is their union. Loading validates each file
against the schema, parses and type-checks every formula, resolves references (procedures, checks,
options, witnesses, profiles) and reports the first problem as a :class:`CatalogueError` that names
the file, the entry and the field.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml

from model.fragment import Use, alternation_cycle
from model.syntax import WILDCARD, Atom, Formula, FormulaSyntaxError, parse_formula
from model.typecheck import FormulaTypeError, Vocabulary, typecheck


class CatalogueError(ValueError):
    """A problem in ``spec/``: the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Origin:
    """Where an entry was written: for error messages and for the docs."""

    file: str
    section: str
    entry: str

    def error(self, field_path: str, message: str) -> CatalogueError:
        return CatalogueError(
            f"{self.file}: {self.section} entry '{self.entry}', field {field_path}: {message}"
        )


Conditions = tuple[tuple[str, frozenset[str]], ...]
"""Option conditions of a ``when``: each (option, allowed values) pair must hold."""


def holds(conditions: Conditions, options: Mapping[str, str]) -> bool:
    """Whether the option values ``options`` satisfy every condition."""
    return all(options[option] in values for option, values in conditions)


@dataclass(frozen=True)
class Sort:
    id: str
    text: str
    naming: str
    bound: int
    witness_bound: int = 1
    """elements in the small deployment where witnesses are searched first"""


@dataclass(frozen=True)
class Enum:
    id: str
    text: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Relation:
    id: str
    args: tuple[tuple[str, str], ...]
    kind: Literal["static", "state"]
    init: Formula | Literal["any"] | None
    text: str
    prefer: bool = False
    """the value a canonical trace gives this relation's facts unless its steps need the other"""

    @property
    def sorts(self) -> tuple[str, ...]:
        return tuple(sort for _, sort in self.args)


@dataclass(frozen=True)
class Case:
    when: Conditions
    formula: Formula


@dataclass(frozen=True)
class Definition:
    id: str
    params: tuple[tuple[str, str], ...]
    text: str
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Axiom:
    id: str
    text: str
    formula: Formula


@dataclass(frozen=True)
class Check:
    id: str
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Procedure:
    id: str
    title: str
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Guard:
    formula: Formula
    source: str
    check: str | None
    when: Conditions


@dataclass(frozen=True)
class Effect:
    """``insert``/``delete`` of the tuples matching ``relation(pattern)`` that satisfy ``where``.

    A pattern entry is an action parameter, an enum constant, a new variable (ranging over the
    relation's argument sort, usable in ``where``) or the wildcard ``_``.
    """

    insert: bool
    relation: str
    pattern: tuple[str, ...]
    where: Formula | None
    when: Conditions


@dataclass(frozen=True)
class Action:
    id: str
    procedure: str
    actor: Literal["honest", "attacker"]
    params: tuple[tuple[str, str], ...]
    sender: str
    receiver: str
    via: str
    text: str
    sources: tuple[str, ...]
    when: Conditions
    guards: tuple[Guard, ...]
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class OptionValue:
    id: str
    text: str


@dataclass(frozen=True)
class Option:
    id: str
    question: str
    scope: Literal["model", "impl", "both"]
    sources: tuple[str, ...]
    values: tuple[OptionValue, ...]


@dataclass(frozen=True)
class Property:
    id: str
    statement: str
    sources: tuple[str, ...]
    formula: Formula
    witnesses: tuple[str, ...]


@dataclass(frozen=True)
class Witness:
    id: str
    statement: str
    when: Conditions
    goal: Formula


@dataclass(frozen=True)
class Lemma:
    id: str
    text: str
    formula: Formula


@dataclass(frozen=True)
class Reading:
    option: str
    text: str


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    source: str
    extends: str | None
    options: Mapping[str, str]
    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class Mutant:
    id: str
    profile: str
    check: str
    action: str | None
    breaks: str


@dataclass(frozen=True)
class Catalogue:
    """The whole catalogue; every mapping is keyed by entry id, in the order the files define them."""

    sorts: Mapping[str, Sort]
    enums: Mapping[str, Enum]
    relations: Mapping[str, Relation]
    definitions: Mapping[str, Definition]
    axioms: Mapping[str, Axiom]
    checks: Mapping[str, Check]
    procedures: Mapping[str, Procedure]
    actions: Mapping[str, Action]
    options: Mapping[str, Option]
    properties: Mapping[str, Property]
    witnesses: Mapping[str, Witness]
    lemmas: Mapping[str, Lemma]
    profiles: Mapping[str, Profile]
    mutants: Mapping[str, Mutant]
    documents: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    """The descriptive sections (entities, trust-domains, reference-points) as written."""

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return _vocabulary(
            self.enums,
            {relation.id: relation.sorts for relation in self.relations.values()},
            {d.id: tuple(sort for _, sort in d.params) for d in self.definitions.values()},
            frozenset(self.sorts),
        )


def _vocabulary(
    enums: Mapping[str, Enum],
    relations: Mapping[str, tuple[str, ...]],
    definitions: Mapping[str, tuple[str, ...]],
    sorts: frozenset[str],
) -> Vocabulary:
    return Vocabulary(
        sorts=sorts | frozenset(enums),
        constants={value: enum.id for enum in enums.values() for value in enum.values},
        relations=relations,
        definitions=definitions,
    )


_DOCUMENT_SECTIONS = ("entities", "trust-domains", "reference-points")


def default_spec_dir() -> Path:
    """The catalogue shipped with capifsec (the project's ``spec/`` folder)."""
    return Path(str(resources.files("capifsec.spec")))


def load_catalogue(spec_dir: Path | None = None) -> Catalogue:
    """Load, validate and type-check every ``*.yaml`` file under ``spec_dir``."""
    root = spec_dir or default_spec_dir()
    if not root.is_dir():
        raise CatalogueError(f"{root}: not a folder")
    schema_path = root / "schema" / "catalogue.schema.json"
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except OSError:
        raise CatalogueError(
            f"{root}: not a capifsec catalogue (no {schema_path.relative_to(root)}); "
            "copy the shipped spec/ folder and edit the copy"
        ) from None
    except ValueError as problem:
        raise CatalogueError(f"{schema_path}: not valid JSON: {problem}") from None
    validator = jsonschema.Draft202012Validator(schema)
    raw: dict[str, list[tuple[Origin, dict[str, Any]]]] = {}
    for path in sorted(root.rglob("*.yaml")):
        name = str(path.relative_to(root.parent)) if root.parent != root else str(path)
        for section, origin, entry in _read_file(path, name, validator):
            raw.setdefault(section, []).append((origin, entry))
    return _Builder(raw).build()


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The safe loader, in C when PyYAML was built with libyaml (several times faster)."""


def _read_file(path: Path, name: str, validator: jsonschema.Validator) -> Iterable[tuple[str, Origin, Any]]:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as problem:
        raise CatalogueError(f"{name}: not valid YAML: {problem}") from None
    if document is None:
        return
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    if errors:
        error = errors[0]
        location = list(error.absolute_path)
        if len(location) >= 2 and isinstance(document, dict):
            section, index = location[0], location[1]
            entry = document[section][index]
            entry_id = entry.get("id", f"#{index}") if isinstance(entry, dict) else f"#{index}"
            field_path = ".".join(str(part) for part in location[2:]) or "(entry)"
            raise CatalogueError(f"{name}: {section} entry '{entry_id}', field {field_path}: {error.message}")
        raise CatalogueError(f"{name}: {error.message}")
    for section, entries in document.items():
        for entry in entries:
            yield section, Origin(name, section, str(entry["id"])), entry


def _flatten(items: Sequence[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in items:
        flat.extend(_flatten(item) if isinstance(item, list) else [item])
    return flat


class _Builder:
    """Turns the raw entries into typed values, checking references and types on the way."""

    def __init__(self, raw: Mapping[str, list[tuple[Origin, dict[str, Any]]]]) -> None:
        self.raw = raw
        for entries in raw.values():
            seen: dict[str, Origin] = {}
            for origin, _ in entries:
                if origin.entry in seen:
                    raise origin.error("id", f"duplicate id, first defined in {seen[origin.entry].file}")
                seen[origin.entry] = origin

    def _entries(self, section: str) -> list[tuple[Origin, dict[str, Any]]]:
        return self.raw.get(section, [])

    def build(self) -> Catalogue:
        sorts = {
            o.entry: Sort(e["id"], e["text"], e["naming"], e["bound"], e.get("witness-bound", 1))
            for o, e in self._entries("sorts")
        }
        enums = {o.entry: Enum(e["id"], e["text"], tuple(e["values"])) for o, e in self._entries("enums")}
        self.sort_names = frozenset(sorts) | frozenset(enums)
        options = {o.entry: self._option(o, e) for o, e in self._entries("options")}
        self.options = options
        relations = {o.entry: self._relation_shell(o, e) for o, e in self._entries("relations")}
        self.vocabulary = _vocabulary(
            enums,
            {r.id: r.sorts for r in relations.values()},
            {
                o.entry: tuple(self._typed(o, "params", e["params"]).values())
                for o, e in self._entries("definitions")
            },
            frozenset(sorts),
        )
        relations = {o.entry: self._relation(o, e) for o, e in self._entries("relations")}
        checks = {o.entry: Check(e["id"], e["text"], tuple(e["sources"])) for o, e in self._entries("checks")}
        procedures = {
            o.entry: Procedure(e["id"], e["title"], e["text"], tuple(e["sources"]))
            for o, e in self._entries("procedures")
        }
        self.checks, self.procedures = checks, procedures
        definitions = {o.entry: self._definition(o, e) for o, e in self._entries("definitions")}
        axioms = {
            o.entry: Axiom(e["id"], e["text"], self._closed(o, "formula", e["formula"]))
            for o, e in self._entries("axioms")
        }
        actions = {o.entry: self._action(o, e) for o, e in self._entries("actions")}
        witnesses = {
            o.entry: Witness(
                e["id"],
                e["statement"],
                self._when(o, "when", e.get("when", {})),
                self._closed(o, "goal", e["goal"]),
            )
            for o, e in self._entries("witnesses")
        }
        properties = {o.entry: self._property(o, e, witnesses) for o, e in self._entries("properties")}
        lemmas = {
            o.entry: Lemma(e["id"], e["text"], self._closed(o, "formula", e["formula"]))
            for o, e in self._entries("lemmas")
        }
        self._check_fragment(definitions, axioms, actions, properties, lemmas)
        profiles = self._profiles()
        mutants = {
            o.entry: self._mutant(o, e, profiles, actions, properties) for o, e in self._entries("mutants")
        }
        documents = {
            section: tuple(entry for _, entry in self._entries(section)) for section in _DOCUMENT_SECTIONS
        }
        return Catalogue(
            sorts=sorts,
            enums=enums,
            relations=relations,
            definitions=definitions,
            axioms=axioms,
            checks=checks,
            procedures=procedures,
            actions=actions,
            options=options,
            properties=properties,
            witnesses=witnesses,
            lemmas=lemmas,
            profiles=profiles,
            mutants=mutants,
            documents=documents,
        )

    # --- helpers ----------------------------------------------------------------------------------

    def _check_fragment(
        self,
        definitions: Mapping[str, Definition],
        axioms: Mapping[str, Axiom],
        actions: Mapping[str, Action],
        properties: Mapping[str, Property],
        lemmas: Mapping[str, Lemma],
    ) -> None:
        """Refuse formulas whose quantifier alternations cycle among sorts (:mod:`model.fragment`)."""
        files = {(section, o.entry): o.file for section in self.raw for o, _ in self._entries(section)}

        def origin(section: str, entry: str) -> str:
            return f"{files[(section, entry)]}: {section} entry '{entry}'"

        uses = [Use(origin("axioms", a.id), a.formula) for a in axioms.values()]
        uses += [Use(origin("actions", a.id), g.formula) for a in actions.values() for g in a.guards]
        uses += [Use(origin("properties", p.id), p.formula, True, True) for p in properties.values()]
        uses += [Use(origin("lemmas", m.id), m.formula, True, True) for m in lemmas.values()]

        def cases(name: str) -> list[Formula]:
            definition = definitions.get(name)
            return [case.formula for case in definition.cases] if definition else []

        found = alternation_cycle(uses, cases)
        if found is not None:
            cycle, origins = found
            edges = "; ".join(f"{a} -> {b} from {', '.join(origins[(a, b)])}" for a, b in pairwise(cycle))
            raise CatalogueError(
                f"quantifier alternations cycle through the sorts {' -> '.join(cycle)}, outside the"
                " fragment where the proofs are complete (each 'forall x:A ... exists y:B' is an edge"
                f" A -> B): {edges}"
            )

    def _typed(self, origin: Origin, field_name: str, names: Mapping[str, str]) -> dict[str, str]:
        for variable, sort in names.items():
            if sort not in self.sort_names:
                raise origin.error(f"{field_name}.{variable}", f"unknown sort '{sort}'")
        return dict(names)

    def _formula(self, origin: Origin, field_name: str, text: str, scope: Mapping[str, str]) -> Formula:
        try:
            formula = parse_formula(text)
            typecheck(formula, scope, self.vocabulary)
        except (FormulaSyntaxError, FormulaTypeError) as problem:
            raise origin.error(field_name, f"{problem} in {text!r}") from None
        return formula

    def _closed(self, origin: Origin, field_name: str, text: str) -> Formula:
        return self._formula(origin, field_name, text, {})

    def _when(self, origin: Origin, field_name: str, when: Mapping[str, str | list[str]]) -> Conditions:
        conditions = []
        for option_id, values in when.items():
            option = self.options.get(option_id)
            if option is None:
                raise origin.error(f"{field_name}.{option_id}", "unknown option")
            allowed = {value.id for value in option.values}
            chosen = frozenset([values] if isinstance(values, str) else values)
            if not chosen <= allowed:
                raise origin.error(
                    f"{field_name}.{option_id}",
                    f"unknown value(s) {sorted(chosen - allowed)}; allowed: {sorted(allowed)}",
                )
            conditions.append((option_id, chosen))
        return tuple(conditions)

    # --- sections ---------------------------------------------------------------------------------

    def _option(self, origin: Origin, entry: dict[str, Any]) -> Option:
        values = tuple(OptionValue(str(v["id"]), v["text"]) for v in entry["values"])
        if len({value.id for value in values}) != len(values):
            raise origin.error("values", "duplicate value id")
        return Option(entry["id"], entry["question"], entry["scope"], tuple(entry["sources"]), values)

    def _relation_shell(self, origin: Origin, entry: dict[str, Any]) -> Relation:
        args = tuple(self._typed(origin, "args", entry["args"]).items())
        return Relation(entry["id"], args, entry["kind"], None, entry["text"], entry.get("prefer", False))

    def _relation(self, origin: Origin, entry: dict[str, Any]) -> Relation:
        shell = self._relation_shell(origin, entry)
        init_text = entry.get("init")
        if shell.kind == "static":
            if init_text is not None:
                raise origin.error("init", "a static relation has no initial value: the solver chooses it")
            return shell
        if init_text is None:
            raise origin.error("init", "a state relation needs 'false', 'any' or a formula over its args")
        init: Formula | Literal["any"] = (
            "any" if init_text == "any" else self._formula(origin, "init", init_text, dict(shell.args))
        )
        return Relation(shell.id, shell.args, shell.kind, init, shell.text, shell.prefer)

    def _definition(self, origin: Origin, entry: dict[str, Any]) -> Definition:
        params = self._typed(origin, "params", entry["params"])
        if "formula" in entry:
            cases: tuple[Case, ...] = (Case((), self._formula(origin, "formula", entry["formula"], params)),)
        else:
            cases = tuple(
                Case(
                    self._when(origin, f"cases[{index}].when", case["when"]),
                    self._formula(origin, f"cases[{index}].formula", case["formula"], params),
                )
                for index, case in enumerate(entry["cases"])
            )
        self._check_cases_cover(origin, cases)
        return Definition(entry["id"], tuple(params.items()), entry["text"], cases)

    def _check_cases_cover(self, origin: Origin, cases: tuple[Case, ...]) -> None:
        """Every combination of the options the cases mention must pick exactly one case."""
        mentioned = sorted({option for case in cases for option, _ in case.when})
        choices = [[value.id for value in self.options[option].values] for option in mentioned]
        for combination in itertools.product(*choices):
            values = dict(zip(mentioned, combination, strict=True))
            matching = [case for case in cases if holds(case.when, values)]
            if len(matching) != 1:
                setting = ", ".join(f"{option} = {value}" for option, value in values.items())
                problem = "no case" if not matching else f"{len(matching)} cases"
                raise origin.error("cases", f"{problem} for {setting}")

    def _action(self, origin: Origin, entry: dict[str, Any]) -> Action:
        params = self._typed(origin, "params", entry["params"])
        if entry["procedure"] not in self.procedures:
            raise origin.error("procedure", f"unknown procedure '{entry['procedure']}'")
        guards = tuple(
            self._guard(origin, f"requires[{index}]", item, params)
            for index, item in enumerate(_flatten(entry["requires"]))
        )
        effects = tuple(
            self._effect(origin, f"effects[{index}]", item, params)
            for index, item in enumerate(_flatten(entry["effects"]))
        )
        return Action(
            id=entry["id"],
            procedure=entry["procedure"],
            actor=entry["actor"],
            params=tuple(params.items()),
            sender=entry["from"],
            receiver=entry["to"],
            via=entry["via"],
            text=entry["text"],
            sources=tuple(entry["sources"]),
            when=self._when(origin, "when", entry.get("when", {})),
            guards=guards,
            effects=effects,
        )

    def _guard(
        self, origin: Origin, field_name: str, item: str | dict[str, Any], params: dict[str, str]
    ) -> Guard:
        if isinstance(item, str):
            return Guard(self._formula(origin, field_name, item, params), item, None, ())
        check = item.get("check")
        if check is not None and check not in self.checks:
            raise origin.error(f"{field_name}.check", f"unknown check '{check}'")
        return Guard(
            self._formula(origin, f"{field_name}.formula", item["formula"], params),
            item["formula"],
            check,
            self._when(origin, f"{field_name}.when", item.get("when", {})),
        )

    def _effect(
        self, origin: Origin, field_name: str, item: dict[str, Any], params: dict[str, str]
    ) -> Effect:
        insert = "insert" in item
        text = item["insert"] if insert else item["delete"]
        try:
            atom = parse_formula(text)
        except FormulaSyntaxError as problem:
            raise origin.error(field_name, f"{problem} in {text!r}") from None
        if not isinstance(atom, Atom) or atom.relation not in self.vocabulary.relations:
            raise origin.error(field_name, f"expected an atom of a relation, found {text!r}")
        sorts = self.vocabulary.relations[atom.relation]
        if len(sorts) != len(atom.args):
            raise origin.error(field_name, f"{atom.relation} takes {len(sorts)} arguments")
        scope = dict(params)
        for argument, sort in zip(atom.args, sorts, strict=True):
            name = argument.name
            if name == WILDCARD:
                continue
            known = params.get(name, self.vocabulary.constants.get(name))
            if known is not None:
                if known != sort:
                    raise origin.error(field_name, f"'{name}' is a {known}, expected {sort}")
            elif name in scope:
                raise origin.error(field_name, f"variable '{name}' appears twice in the pattern")
            else:
                scope[name] = sort
        where = item.get("where")
        return Effect(
            insert=insert,
            relation=atom.relation,
            pattern=tuple(argument.name for argument in atom.args),
            where=None if where is None else self._formula(origin, f"{field_name}.where", where, scope),
            when=self._when(origin, f"{field_name}.when", item.get("when", {})),
        )

    def _property(self, origin: Origin, entry: dict[str, Any], witnesses: Mapping[str, Witness]) -> Property:
        for index, witness in enumerate(entry["witnesses"]):
            if witness not in witnesses:
                raise origin.error(f"witnesses[{index}]", f"unknown witness '{witness}'")
        return Property(
            entry["id"],
            entry["statement"],
            tuple(entry["sources"]),
            self._closed(origin, "formula", entry["formula"]),
            tuple(entry["witnesses"]),
        )

    def _profiles(self) -> dict[str, Profile]:
        entries = {origin.entry: (origin, entry) for origin, entry in self._entries("profiles")}
        resolved: dict[str, Profile] = {}

        def resolve(profile_id: str, chain: tuple[str, ...]) -> Profile:
            if profile_id in resolved:
                return resolved[profile_id]
            origin, entry = entries[profile_id]
            options: dict[str, str] = {}
            parent = entry.get("extends")
            if parent is not None:
                if parent not in entries:
                    raise origin.error("extends", f"unknown profile '{parent}'")
                if parent in chain:
                    raise origin.error("extends", "profiles extend each other in a cycle")
                options.update(resolve(parent, (*chain, profile_id)).options)
            for option_id, value in entry["options"].items():
                self._when(origin, "options", {option_id: str(value)})
                options[option_id] = str(value)
            missing = [option for option in self.options if option not in options]
            if missing:
                raise origin.error("options", f"no value for option(s) {missing}")
            readings = tuple(Reading(r["option"], r["text"]) for r in entry.get("readings", []))
            for index, reading in enumerate(readings):
                if reading.option not in self.options:
                    raise origin.error(f"readings[{index}].option", f"unknown option '{reading.option}'")
            resolved[profile_id] = Profile(
                entry["id"], entry["title"], entry["source"], parent, options, readings
            )
            return resolved[profile_id]

        return {profile_id: resolve(profile_id, ()) for profile_id in entries}

    def _mutant(
        self,
        origin: Origin,
        entry: dict[str, Any],
        profiles: Mapping[str, Profile],
        actions: Mapping[str, Action],
        properties: Mapping[str, Property],
    ) -> Mutant:
        remove = entry["remove"]
        if entry["profile"] not in profiles:
            raise origin.error("profile", f"unknown profile '{entry['profile']}'")
        if remove["check"] not in self.checks:
            raise origin.error("remove.check", f"unknown check '{remove['check']}'")
        action_id = remove.get("action")
        if action_id is not None:
            if action_id not in actions:
                raise origin.error("remove.action", f"unknown action '{action_id}'")
            if all(guard.check != remove["check"] for guard in actions[action_id].guards):
                raise origin.error("remove", f"action '{action_id}' has no check '{remove['check']}'")
        if entry["breaks"] not in properties:
            raise origin.error("breaks", f"unknown property '{entry['breaks']}'")
        return Mutant(entry["id"], entry["profile"], remove["check"], action_id, entry["breaks"])
