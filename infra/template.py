"""Load infra/template.yaml and evaluate its intrinsic functions.

CloudFormation itself does this on AWS. Locally there is no CloudFormation that
creates Cognito pools, so infra/local/provision.py reads the same template and needs the
same evaluation: parameters (with defaults), conditions, Ref, Fn::Sub, Fn::GetAtt,
Fn::If with AWS::NoValue, and the other common functions. Also what both sides name
the same way: the stack of a stage and which app setting each stack output feeds.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).with_name("template.yaml")
APP_NAME = "study-buddy"


def stack_name(stage: str) -> str:
    """The CloudFormation stack name of a stage (also AWS::StackName locally)."""
    return f"{APP_NAME}-{stage}"


# Which app setting each stack output feeds (the app reads them from the environment).
OUTPUT_ENVIRONMENT = {
    "UsersTableName": "USERS_TABLE",
    "VideosTableName": "VIDEOS_TABLE",
    "NotesTableName": "NOTES_TABLE",
    "CreditTransactionsTableName": "TRANSACTIONS_TABLE",
    "CardsTableName": "CARDS_TABLE",
    "CoursesTableName": "COURSES_TABLE",
    "NotesBucketName": "NOTES_BUCKET",
    "VideoQueueUrl": "VIDEO_QUEUE_URL",
    "UserPoolId": "USER_POOL_ID",
    "UserPoolClientId": "USER_POOL_CLIENT_ID",
}


def app_environment(outputs: dict[str, str]) -> dict[str, str]:
    """The app's environment variables for a stack's outputs."""
    return {env: outputs[key] for key, env in OUTPUT_ENVIRONMENT.items() if key in outputs}


# Lookup for a resource's physical values: (logical_id, None) answers a Ref,
# (logical_id, "Arn") answers a Fn::GetAtt.
ResourceLookup = Callable[[str, str | None], Any]


class CfnError(Exception):
    """The template cannot be evaluated (bad parameter, unknown reference...)."""


class UnresolvableError(CfnError):
    """A value depends on something this evaluation cannot know, such as a
    resource the local provisioner skipped or an import from another stack."""


class _NoValue:
    """What AWS::NoValue evaluates to: the enclosing key or list item is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()

# ---------------------------------------------------------------------------
# Loading: YAML short-form tags become the long-form JSON dicts.
# ---------------------------------------------------------------------------

_FN_TAGS = (
    "Sub", "GetAtt", "If", "Equals", "Not", "And", "Or", "Join", "Select",
    "Split", "FindInMap", "ImportValue", "Base64", "GetAZs", "Cidr", "Transform",
    "ToJsonString", "Length",
)


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader plus the CloudFormation tags; a subclass so that the tags do not
    leak into every other yaml.safe_load in the process."""


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _add_function_tag(tag: str, key: str) -> None:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value = _node_value(loader, node)
        if key == "Fn::GetAtt" and isinstance(value, str):
            # "Resource.Attribute"; attribute names may themselves contain dots.
            logical_id, _, attribute = value.partition(".")
            value = [logical_id, attribute]
        return {key: value}

    _TemplateLoader.add_constructor(tag, construct)


for _name in _FN_TAGS:
    _add_function_tag(f"!{_name}", f"Fn::{_name}")
_add_function_tag("!Ref", "Ref")
_add_function_tag("!Condition", "Condition")


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    # CloudFormation treats `2010-09-09` as text, not as a date.
    return str(loader.construct_scalar(node))


_TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def load_template(path: str | Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation YAML template, short-form tags turned into long form."""
    with open(path, encoding="utf-8") as handle:
        return loads_template(handle.read())


def loads_template(text: str) -> dict[str, Any]:
    """Like load_template, from a string."""
    template = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(template, dict) or "Resources" not in template:
        raise CfnError("not a CloudFormation template: no Resources section")
    return template


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _text(value: Any) -> str:
    """A value as CloudFormation writes it into a string (YAML true -> "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _no_lookup(logical_id: str, attribute: str | None) -> Any:
    raise UnresolvableError(f"no physical value known for {logical_id}")


class Resolver:
    """Evaluates intrinsic functions of one template for one set of parameters.

    `lookup(logical_id, attribute)` supplies resource values: attribute None for
    Ref, else the Fn::GetAtt attribute name.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any] | None = None,
        *,
        lookup: ResourceLookup | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        stack_name: str = "stack",
        partition: str = "aws",
    ) -> None:
        self.template = template
        self.lookup: ResourceLookup = lookup or _no_lookup
        self.region = region
        self.pseudo: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": (
                f"arn:{partition}:cloudformation:{region}:{account_id}:stack/{stack_name}/local"
            ),
            "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        self.parameters = self._bind_parameters(parameters or {})
        self._conditions: dict[str, bool] = {}

    # -- parameters and conditions -------------------------------------------

    def _bind_parameters(self, given: Mapping[str, Any]) -> dict[str, Any]:
        declared: Mapping[str, Any] = self.template.get("Parameters") or {}
        unknown = set(given) - set(declared)
        if unknown:
            raise CfnError(f"unknown template parameters: {sorted(unknown)}")
        bound: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in given and given[name] is not None:
                value = given[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise CfnError(f"parameter {name} has no value and no default")
            bound[name] = self._coerce_parameter(name, spec, value)
        return bound

    @staticmethod
    def _coerce_parameter(name: str, spec: Mapping[str, Any], value: Any) -> Any:
        kind = spec.get("Type", "String")
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            items = value if isinstance(value, list) else str(value).split(",")
            result: Any = [str(item).strip() for item in items]
            checked = result
        else:
            # Ref to a Number parameter yields a string on AWS too.
            result = str(value)
            checked = [result]
        allowed = spec.get("AllowedValues")
        if allowed is not None:
            allowed_text = [str(item) for item in allowed]
            for item in checked:
                if item not in allowed_text:
                    raise CfnError(f"parameter {name}={item!r} is not one of {allowed_text}")
        return result

    def condition(self, name: str) -> bool:
        """The value of a named condition from the Conditions section."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise CfnError(f"unknown condition {name}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def is_enabled(self, section: Mapping[str, Any]) -> bool:
        """Whether a resource or output with an optional `Condition` is created."""
        name = section.get("Condition")
        return True if name is None else self.condition(name)

    # -- values --------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """Evaluate every intrinsic function inside `value`; AWS::NoValue entries
        are dropped from dicts and lists (a bare NoValue is returned as NO_VALUE)."""
        if isinstance(value, list):
            items = (self.resolve(item) for item in value)
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref" or key == "Condition" or key.startswith("Fn::"):
                return self._function(key, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _function(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            return self.ref(arg)
        if key == "Condition":
            return self.condition(arg)
        handler = getattr(self, "_fn_" + key[4:].lower(), None)
        if handler is None:
            raise UnresolvableError(f"{key} is not supported locally")
        return handler(arg)

    def ref(self, name: str) -> Any:
        """The value of `Ref: name`: a parameter, a pseudo parameter or a resource."""
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in (self.template.get("Resources") or {}):
            return self.lookup(name, None)
        raise CfnError(f"Ref to unknown name {name}")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """The value of `Fn::GetAtt: [logical_id, attribute]`."""
        if logical_id not in (self.template.get("Resources") or {}):
            raise CfnError(f"Fn::GetAtt on unknown resource {logical_id}")
        return self.lookup(logical_id, attribute)

    def _fn_getatt(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        logical_id, attribute = (self.resolve(part) for part in arg)
        return self.get_att(logical_id, attribute)

    def _fn_sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):  # ${!Literal} writes ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                value = self.get_att(*name.split(".", 1))
            else:
                value = self.ref(name)
            if isinstance(value, list):
                raise CfnError(f"Fn::Sub variable {name} is a list")
            return _text(value)

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, arg: Any) -> bool:
        left, right = (self.resolve(item) for item in arg)
        if isinstance(left, list) or isinstance(right, list):
            return bool(left == right)
        return _text(left) == _text(right)

    def _fn_not(self, arg: Any) -> bool:
        return not self._truth(arg[0])

    def _fn_and(self, arg: Any) -> bool:
        return all(self._truth(item) for item in arg)

    def _fn_or(self, arg: Any) -> bool:
        return any(self._truth(item) for item in arg)

    def _truth(self, item: Any) -> bool:
        return bool(self.resolve(item))

    def _fn_join(self, arg: Any) -> str:
        delimiter, items = arg[0], self.resolve(arg[1])
        return str(delimiter).join(_text(item) for item in items)

    def _fn_select(self, arg: Any) -> Any:
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        return items[int(index)]

    def _fn_split(self, arg: Any) -> list[str]:
        delimiter, text = arg[0], self.resolve(arg[1])
        return str(text).split(delimiter)

    def _fn_findinmap(self, arg: Any) -> Any:
        name, first, second = (self.resolve(part) for part in arg[:3])
        try:
            return self.template["Mappings"][name][first][second]
        except KeyError as exc:
            raise CfnError(f"Fn::FindInMap: no {name}/{first}/{second}") from exc

    def _fn_base64(self, arg: Any) -> str:
        return base64.b64encode(str(self.resolve(arg)).encode()).decode()

    def _fn_getazs(self, arg: Any) -> list[str]:
        region = self.resolve(arg) or self.region
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_importvalue(self, arg: Any) -> Any:
        raise UnresolvableError(f"Fn::ImportValue {self.resolve(arg)!r} needs another stack")


# ---------------------------------------------------------------------------
# Dependencies
# ---------------------------------------------------------------------------


def references(value: Any) -> set[str]:
    """Names that `value` refers to through Ref, Fn::GetAtt or Fn::Sub (parameters
    and pseudo parameters included; callers intersect with the resource ids)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item.split(".", 1)[0] if isinstance(item, str) else item[0]
                if isinstance(target, str):
                    found.add(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                local = set(item[1]) if isinstance(item, list) else set()
                for match in _SUB_VARIABLE.finditer(text):
                    name = match.group(1).strip()
                    if not name.startswith("!") and name not in local:
                        found.add(name.split(".", 1)[0])
                if isinstance(item, list):
                    found |= references(item[1])
            else:
                found |= references(item)
    return found


def creation_order(template: Mapping[str, Any]) -> list[str]:
    """Logical ids of all resources, each after everything it depends on
    (references and DependsOn), in template order where there is a choice."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    depends: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        needed = references(resource.get("Properties") or {})
        needed |= references(resource.get("Metadata") or {})
        explicit = resource.get("DependsOn") or []
        needed |= {explicit} if isinstance(explicit, str) else set(explicit)
        depends[logical_id] = (needed & set(resources)) - {logical_id}

    order: list[str] = []
    state: dict[str, str] = {}

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":
            raise CfnError("circular dependency: " + " -> ".join(path + (logical_id,)))
        state[logical_id] = "visiting"
        for needed in sorted(depends[logical_id], key=list(resources).index):
            visit(needed, path + (logical_id,))
        state[logical_id] = "done"
        order.append(logical_id)

    for logical_id in resources:
        visit(logical_id, ())
    return order
