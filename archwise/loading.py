"""Turn a CLI target into a model, built on the meta device.

Targets:
    path/to/file.py:Name     a class (nn.Module subclass), a factory function or a module instance
    package.module:Name      the same, imported
    hf:ClassName             a ``transformers`` model class built from its own default config
    zoo:name                 an archwise builder (``archwise zoo``), with ``--kwargs`` as its arguments
    path/to/model.json       a file naming a builder and its arguments ("arch" and "hyperparameters"):
                             a ladder's ``model.json`` or ``archwise design --json`` output; built as
                             the zoo: target would be, ``--kwargs`` overriding single hyperparameters

Classes and factories are built under ``torch.device("meta")``: a 70B-parameter model costs no
memory. A constructor that cannot run on meta is built on the CPU instead, and the target says so.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .errors import ArchwiseError, did_you_mean

__all__ = ["LoadedModel", "load_model", "load_setup", "parse_json_object"]

_FORMS = "expected path/to/file.py:Name, package.module:Name, hf:ClassName, zoo:name or path/to/model.json"


@dataclass
class LoadedModel:
    model: nn.Module
    name: str
    rebuild_on_cpu: Callable[[], nn.Module] | None = None  # for the real-run fallback
    notes: list[str] = field(default_factory=list)
    inputs: list[Any] | None = None  # what one forward takes, when the target knows (zoo: targets)


def parse_json_object(text: str | None, option: str) -> dict[str, Any]:
    """``'{"depth": 50}'`` → dict; anything else fails with one line naming the option.

    Example:
        >>> parse_json_object('{"depth": 50}', "--kwargs")
        {'depth': 50}
    """
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ArchwiseError(
            f"{option} is not valid JSON ({err.msg} at column {err.colno}): {text!r}; "
            f"expected an object such as '{{\"depth\": 50}}'"
        ) from None
    if not isinstance(value, dict):
        raise ArchwiseError(f"{option} must be a JSON object such as '{{\"depth\": 50}}', found {type(value).__name__}: {text!r}")
    return value


def load_model(target: str, kwargs: dict[str, Any] | None = None, config: dict[str, Any] | None = None) -> LoadedModel:
    """Build the model a target names, on the meta device where its constructor allows.

    Example:
        >>> load_model("hf:BertModel", config={"num_hidden_layers": 2}).model.config.num_hidden_layers
        2
    """
    kwargs, config = kwargs or {}, config or {}
    if target.startswith("zoo:"):
        if config:
            raise ArchwiseError("--config applies to hf: targets; for zoo: targets use --kwargs")
        return _load_zoo(target[4:], kwargs)
    if target.lower().endswith(".json"):
        if config:
            raise ArchwiseError("--config applies to hf: targets; for a .json target use --kwargs to override "
                                "its hyperparameters")
        return _load_json(target, kwargs)
    if target.startswith("hf:"):
        if kwargs:
            raise ArchwiseError("--kwargs applies to file and module targets; for hf: targets use --config")
        return _load_hf(target[3:], config)
    if config:
        raise ArchwiseError("--config applies to hf: targets; for file and module targets use --kwargs")
    source, sep, attr = target.rpartition(":")
    if not sep or not source or not attr:
        raise ArchwiseError(f"cannot read target '{target}': {_FORMS}")
    module = _import_source(source)
    obj = getattr(module, attr, None)
    if obj is None:
        defined = _model_like_names(module)
        raise ArchwiseError(
            f"'{source}' has no attribute '{attr}'{did_you_mean(attr, defined)}"
            + (f"; it defines: {', '.join(defined[:12])}" if defined else "; it defines no nn.Module class or function")
        )
    return _build(obj, attr, kwargs)


# --- zoo targets --------------------------------------------------------------------------------
def _load_zoo(name: str, kwargs: dict[str, Any], source: str | None = None) -> LoadedModel:
    """``create_arch(name, **kwargs)`` on meta; ``source`` is the .json file that named it, if any."""
    from .design.zoo import arch_inputs, create_arch, get_arch

    info = get_arch(name)
    what = f"'{source}' describes {info.name}, which" if source else f"zoo:{info.name}"
    if info.kind != "torch":
        raise ArchwiseError(f"{what} is a scikit-learn-style estimator ({info.summary}), not a torch model: "
                            "there is no forward to profile; archwise zoo marks the torch builders")
    with torch.device("meta"):
        model = create_arch(info.name, **kwargs)
    return LoadedModel(model, f"{info.name} ({source})" if source else f"zoo:{info.name}",
                       lambda: create_arch(info.name, **kwargs), inputs=arch_inputs(info.name, 1, **kwargs))


_JSON_FORM = ('a JSON object with "arch" and "hyperparameters", such as the model.json that archwise ladder DATA '
              '--out DIR writes, or archwise design --json output')


def _load_json(source: str, kwargs: dict[str, Any]) -> LoadedModel:
    """A ladder's ``model.json`` or a design JSON: its ``arch`` built with its ``hyperparameters``,
    ``kwargs`` overriding single ones."""
    path = Path(source)
    if not path.is_file():
        found = "a folder" if path.is_dir() else f"not found (relative paths start at {Path.cwd()})"
        raise ArchwiseError(f"model file '{source}' is {found}; expected {_JSON_FORM}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        where = f" ({err.msg} at line {err.lineno} column {err.colno})" if isinstance(err, json.JSONDecodeError) else ""
        raise ArchwiseError(f"'{source}' is not valid JSON{where}; expected {_JSON_FORM}") from None
    if not isinstance(data, dict):
        raise ArchwiseError(f"'{source}' holds a JSON {type(data).__name__}; expected {_JSON_FORM}")
    arch, hyper = data.get("arch"), data.get("hyperparameters")
    if arch is None or hyper is None:
        missing = " and ".join(f'"{k}"' for k in ("arch", "hyperparameters") if data.get(k) is None)
        schema = data.get("schema")
        what = (f"an {schema} file (a result, which archwise report reads), not a model description"
                if isinstance(schema, str) else "a JSON object")
        hint = "; give the model.json beside it" if schema == "archwise.ladder/1" else ""
        raise ArchwiseError(f"'{source}' is {what}: it has no {missing}; expected {_JSON_FORM}{hint}")
    if not isinstance(arch, str) or not isinstance(hyper, dict):
        raise ArchwiseError(f"'{source}' has \"arch\" {arch!r} and \"hyperparameters\" of type {type(hyper).__name__}; "
                            "expected an architecture name (archwise zoo lists them) and an object of its arguments")
    try:
        loaded = _load_zoo(arch, {**hyper, **kwargs}, source)
    except ArchwiseError as err:
        if str(err).startswith(f"'{source}'"):
            raise
        raise ArchwiseError(f"'{source}': {err}") from None
    shape = data.get("input_shape")  # a ladder's model.json: one sample as the model takes it
    if shape is not None and not data.get("graph"):
        if not (isinstance(shape, list) and shape and all(isinstance(d, int) and d > 0 for d in shape)):
            raise ArchwiseError(f"'{source}' has \"input_shape\" {shape!r}; expected a list of positive whole numbers "
                                "(one sample's shape, such as [1, 8, 8]), or leave it out and give --input")
        loaded.inputs = [(1, *shape)]
    return loaded


# --- file and module targets --------------------------------------------------------------------
def _import_file(source: str, forms: str) -> Any:
    """A Python file imported as a module (its folder on ``sys.path`` while it runs, as for a script)."""
    path = Path(source)
    if not path.is_file():
        raise ArchwiseError(f"file '{source}' not found (relative paths start at {Path.cwd()}); {forms}")
    name = f"archwise_target_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ArchwiseError(f"cannot load '{source}' as Python source; {forms}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent.resolve()))
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        sys.modules.pop(name, None)
        raise ArchwiseError(f"cannot load '{source}': {_error_line(err)}") from err
    finally:
        sys.path.remove(str(path.parent.resolve()))
    return module


_SETUP_FORM = ("expected a Python file that defines setup(seed) returning archwise.TrainSetup(model=..., "
               "optimizer=..., loss_fn=..., data=(x, y))")


def load_setup(source: str) -> Callable[[int], Any]:
    """The ``setup`` function of a Python file: what ``archwise diagnose --verify script.py`` trains.

    Example:
        >>> load_setup("no/such/script.py")
        Traceback (most recent call last):
        ...
        archwise.errors.ArchwiseError: file 'no/such/script.py' not found (relative paths start at ...); expected ...
    """
    if not source.endswith(".py"):
        raise ArchwiseError(f"--verify takes a .py file; found '{source}'; {_SETUP_FORM}")
    module = _import_file(source, _SETUP_FORM)
    setup = getattr(module, "setup", None)
    if setup is None:
        defined = [n for n, v in vars(module).items() if inspect.isfunction(v) and v.__module__ == module.__name__]
        raise ArchwiseError(f"'{source}' defines no setup function{did_you_mean('setup', defined)}"
                            + (f" (it defines {', '.join(defined[:8])})" if defined else "") + f"; {_SETUP_FORM}")
    if not callable(setup):
        raise ArchwiseError(f"'{source}': setup is {type(setup).__name__}, not a function; {_SETUP_FORM}")
    return setup


def _import_source(source: str) -> Any:
    if source.endswith(".py") or "/" in source or "\\" in source:
        return _import_file(source, _FORMS)
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as err:
        raise ArchwiseError(f"cannot import module '{source}': {err}; {_FORMS}") from err
    except Exception as err:
        raise ArchwiseError(f"cannot import module '{source}': {_error_line(err)}") from err


def _model_like_names(module: Any) -> list[str]:
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if (inspect.isclass(obj) and issubclass(obj, nn.Module)) or inspect.isfunction(obj):
            names.append(name)
    return names


def _build(obj: Any, name: str, kwargs: dict[str, Any]) -> LoadedModel:
    if isinstance(obj, nn.Module):
        if kwargs:
            raise ArchwiseError(f"'{name}' is a model instance, so --kwargs has nothing to construct; name its class or a factory")
        return LoadedModel(obj, name)
    if not callable(obj):
        raise ArchwiseError(f"'{name}' is a {type(obj).__name__}, not an nn.Module class, factory function or instance")
    try:
        inspect.signature(obj).bind(**kwargs)
    except TypeError as err:
        accepted = _parameters(obj)
        raise ArchwiseError(
            f"cannot call {name}(**kwargs): {err}; it accepts {accepted or 'no arguments'}; "
            "pass arguments with --kwargs '{\"name\": value}'"
        ) from None
    except ValueError:
        pass  # no signature (a builtin): let the call itself report

    def build(device: str) -> nn.Module:
        with torch.device(device), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = obj(**kwargs)
        if not isinstance(model, nn.Module):
            raise ArchwiseError(f"{name}(**kwargs) returned a {type(model).__name__}, expected a torch.nn.Module")
        return model

    try:
        return LoadedModel(build("meta"), name, rebuild_on_cpu=lambda: build("cpu"))
    except ArchwiseError:
        raise
    except Exception as meta_err:
        try:
            model = build("cpu")
        except Exception as err:
            raise ArchwiseError(f"building {name} failed: {_error_line(err)}") from err
        note = f"built on the CPU: its constructor cannot run on the meta device ({_error_line(meta_err)})"
        return LoadedModel(model, name, notes=[note])


def _parameters(obj: Any) -> str:
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return ""
    return ", ".join(p for p in params if p not in ("self", "args", "kwargs"))


def _error_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    where = f" (line {err.lineno})" if isinstance(err, SyntaxError) and err.lineno else ""
    return f"{type(err).__name__}: {text}{where}" if text else type(err).__name__


# --- transformers -------------------------------------------------------------------------------
def _load_hf(name: str, overrides: dict[str, Any]) -> LoadedModel:
    try:
        import transformers
    except ImportError as err:  # pragma: no cover - transformers is a dependency
        raise ArchwiseError("hf: targets need the transformers package: pip install transformers") from err
    transformers.logging.set_verbosity_error()
    cls = getattr(transformers, name, None) if name.isidentifier() else None
    if cls is None:
        candidates = [n for n in dir(transformers) if n.endswith(("Model", "LMHeadModel")) or "For" in n]
        raise ArchwiseError(f"transformers has no model class '{name}'{did_you_mean(name, candidates)}; "
                            "use a class name such as hf:BertModel or hf:LlamaForCausalLM")
    if not (inspect.isclass(cls) and issubclass(cls, transformers.PreTrainedModel)):
        raise ArchwiseError(f"transformers.{name} is not a model class (a PreTrainedModel subclass); try hf:{name}Model")
    config_class = cls.config_class
    known = _config_fields(config_class)
    for key in overrides:
        if key not in known:
            raise ArchwiseError(f"unknown field '{key}' for {config_class.__name__}{did_you_mean(key, known)}; "
                                f"see {config_class.__name__} in the transformers documentation for its fields")
    try:
        config = config_class(**overrides)
    except Exception as err:
        raise ArchwiseError(f"invalid --config for {config_class.__name__}: {_error_line(err)}") from err

    def build(device: str) -> nn.Module:
        with torch.device(device), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(config)

    try:
        model = build("meta")
    except Exception as err:
        raise ArchwiseError(f"building transformers.{name} from its config failed: {_error_line(err)}") from err
    return LoadedModel(model, name, rebuild_on_cpu=lambda: build("cpu"))


def _config_fields(config_class: Any) -> set[str]:
    default = config_class()
    properties = {n for n, v in inspect.getmembers(config_class) if isinstance(v, property) and not n.startswith("_")}
    fields = properties | set(default.to_dict()) | set(getattr(config_class, "attribute_map", {}) or {})
    fields |= {p for p in inspect.signature(config_class.__init__).parameters if p not in ("self", "kwargs")}
    return fields
