"""The MNIST Lab's widget state <-> RunConfig mapping, its share links, and its save box.

Every config option on the page has the widget key "mn.<dotted path>" (a number's widget is drawn from
its one declaration by ganlab.ui.option_widgets); a regulariser has an on/off key "mn.on.<name>" beside
its strength "mn.reg.<name>". Two page choices set several paths: "mn_arch" (g.arch and d.arch) and
"mn_kind" (its catalogue.IMAGE_KINDS options). The page's address takes the same dotted paths
(ganlab.links.PAGE_FIELDS["mnist-lab"]), so the keys, the defaults and the Share button all derive from
that one list, and an image run starts from config.IMAGE_DEFAULTS.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import streamlit as st

from ganlab.catalogue import IMAGE_KINDS
from ganlab.config import IMAGE_DEFAULTS, RunConfig, flatten, with_overrides
from ganlab.links import PAGE_FIELDS
from ganlab.penalties import REGULARIZERS
from ganlab.ui.mnist_session import MnistSession
from ganlab.ui.session_files import checked_file_name, session_folder
from ganlab.ui.widget_state import overrides_from_state

PAGE = "mnist-lab"
PREFIX = "mn."
ARCH, KIND = "mn_arch", "mn_kind"
BOTH_CHANNELS = "mn_channels"  # an earlier link's `channels`: g.channels and d.channels at once
AUTOPLAY = "mn_autoplay"


def base_config() -> RunConfig:
    """The run a new visitor starts from: MNIST with the image defaults (DCGAN, lr 2e-4, batch 64, ...)."""
    return with_overrides(RunConfig(), {"data.name": "mnist", **IMAGE_DEFAULTS})


def option_paths() -> list[str]:
    """The dotted config paths the page's widgets hold: those its address takes (regularisers apart)."""
    keys = [field.key for field in PAGE_FIELDS[PAGE].values()]
    return [key[len(PREFIX):] for key in dict.fromkeys(keys)
            if key.startswith(PREFIX) and not key.startswith(PREFIX + "reg.")]


def default_values() -> dict[str, Any]:
    """Widget key -> value a new visitor sees (base_config's values; every regulariser off)."""
    base = base_config()
    flat = flatten(base)
    values: dict[str, Any] = {ARCH: base.g.arch, KIND: next(iter(IMAGE_KINDS))}
    values.update({PREFIX + path: flat[path] for path in option_paths()})
    for name, spec in REGULARIZERS.items():
        values[f"{PREFIX}on.{name}"] = False
        values[f"{PREFIX}reg.{name}"] = float(spec.default)
    return values


def apply_link(preset: Mapping[str, Any], state: MutableMapping[str, Any]) -> None:
    """A link's preset on the widgets, as in the Toy Lab: every option from the defaults, then the link's
    values; a regulariser the link names is switched on, `channels` sets both networks'."""
    state.update(default_values())
    state.pop(BOTH_CHANNELS, None)
    for key, value in preset.items():
        if key == BOTH_CHANNELS:
            state[PREFIX + "g.channels"] = state[PREFIX + "d.channels"] = value
        elif key != AUTOPLAY:
            state[key] = value
            if key.startswith(PREFIX + "reg."):
                state[f"{PREFIX}on.{key[len(PREFIX) + 4:]}"] = True


def overrides_from_widgets(state: Mapping[str, Any]) -> dict[str, str]:
    """Dotted path -> text for every option the widgets hold (the keys "mn.<path>"), plus the architecture
    and the kind. Virtual batch norm is the DCGAN generator's: off (its box greyed out) for another arch."""
    overrides = overrides_from_state(state, PREFIX)
    arch = state.get(ARCH, "dcgan")
    overrides.update({"g.arch": arch, "d.arch": arch, **IMAGE_KINDS[state.get(KIND, "unconditional")].overrides})
    if arch != "dcgan":
        overrides["tricks.virtual_batch_norm"] = "false"
    return overrides


def config_from_widgets(state: Mapping[str, Any]) -> RunConfig:
    """The validated RunConfig the widgets describe (raises ConfigError naming the field)."""
    return with_overrides(base_config(), overrides_from_widgets(state))


def _link_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)


def share_params(state: Mapping[str, Any]) -> dict[str, str]:
    """The address that reopens these settings: each parameter (its dotted path; `arch`, `kind`) whose
    widget differs from the defaults, and each regulariser switched on."""
    defaults, params = default_values(), {}
    for name, field in PAGE_FIELDS[PAGE].items():
        if (field.key != PREFIX + name and name not in ("arch", "kind")) or field.key not in state:
            continue  # an earlier link's short name, or play
        if name.startswith("reg."):
            if state.get(f"{PREFIX}on.{name[4:]}"):
                params[name] = _link_text(state[field.key])
        elif state[field.key] != defaults[field.key]:
            params[name] = _link_text(state[field.key])
    return params


def save_box(session: MnistSession, name_key: str = "mn_save_name") -> None:
    """The Save box: a file name only (empty: the generated one), checked; the file goes to this browser
    session's own folder, never to a typed path; a refused name writes nothing and keeps what was typed."""
    default = session.file_name()
    st.caption("Checkpoints are saved in this browser session's own folder on the server; the Latent Explorer "
               "lists its files. Download keeps a copy on your computer.")
    typed = st.text_input("File name", key=name_key, placeholder=default, max_chars=80,
                          help="A name only (letters, digits, '_', '.', '-'); empty: the name shown. The file "
                               "goes to this browser session's own folder on the server.")
    if st.button("Save checkpoint", key="mn_save"):
        try:
            name = checked_file_name(typed.strip() or default, ".pt")
            path = session.save(session_folder() / name)
        except ValueError as err:
            st.error(f"{err}. Nothing was saved; the run and its settings are unchanged.")
        except FileExistsError:
            st.error(f"File name {name!r}: this session has already saved a file of that name; type another "
                     "name. Nothing was overwritten.")
        except OSError as err:
            st.error(f"Could not save {name!r}: {err.strerror}. Nothing was lost: try again, or use Download.")
        else:
            st.success(f"Saved {path.name} in this browser session's own folder ({path.parent}). Open it in the "
                       "Latent Explorer, which lists this session's files, or with "
                       f"`python -m ganlab eval --checkpoint {path}`.")
    st.download_button("Download checkpoint", session.checkpoint_bytes(), default, "application/octet-stream",
                       key="mn_download")
