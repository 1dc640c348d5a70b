"""The throwaway plugin distributions the kernel tests install: one good, the rest broken."""

from __future__ import annotations

from ._wheels import Dist

GOOD = Dist(
    "spine-good",
    "1.2.3",
    files={
        "spine_good/__init__.py": """
import spine

@spine.hookimpl
def register_sources(register):
    register(spine.SourceSpec("good_source", "spine_good._heavy:make_source", schemes=("good",)))

@spine.hookimpl
def register_stores(register):
    register(spine.StoreSpec("good_store", "spine_good._heavy:make_store", schemes=("goodstore",)))

@spine.hookimpl
def register_alert_channels(register):
    register(spine.AlertChannelSpec("good_alert", "spine_good._heavy:make_channel"))

@spine.hookimpl
def register_pipelines(register):
    register(spine.PipelineSpec("good.pipeline", "spine_good._heavy:GoodPipeline"))
""",
        "spine_good/_heavy.py": """
import spine

def make_source(): return "source"
def make_store(): return "store"
class GoodChannel(spine.AlertChannel):
    # Appends each alert's title to the file named by GOOD_ALERTS; refuses when the path says so.

    def __init__(self, path):
        self.path = path

    def send(self, alert, timeout):
        if "refuse" in self.path:
            raise spine.AlertError("good_alert refused: told to by its path")
        with open(self.path, "a") as out:
            out.write(alert.title + "\\n")
        return "written"

def make_channel(kernel):
    path = kernel.config.environ.get("GOOD_ALERTS")
    return GoodChannel(path) if path else None

class GoodPipeline:
    def run(self, context):
        context.count(read=3, written=3)
""",
    },
    entry_points={"good": "spine_good"},
)

IMPORT_ERROR = Dist(
    "spine-importerror",
    files={"spine_importerror.py": "import spine_module_that_does_not_exist\n"},
    entry_points={"importerror": "spine_importerror"},
)

RAISES = Dist(
    "spine-raises",
    files={
        "spine_raises.py": """
import spine

@spine.hookimpl
def register_pipelines(register):
    register(spine.PipelineSpec("raises.first", lambda: None))

@spine.hookimpl
def register_sources(register):
    raise RuntimeError("boom while registering")
"""
    },
    entry_points={"raises": "spine_raises"},
)

MISSPELLED = Dist(
    "spine-misspelled",
    files={
        "spine_misspelled.py": """
import spine

@spine.hookimpl
def register_sorces(register):
    pass
"""
    },
    entry_points={"misspelled": "spine_misspelled"},
)

# Importing it would leave a trace in sys.modules and raise: it must never happen.
FUTURE = Dist(
    "spine-future",
    files={"spine_future.py": 'raise RuntimeError("spine_future must never be imported")\n'},
    entry_points={"future": "spine_future"},
    requires=("spine-kernel>=99",),
)

DUPLICATE_A = Dist(
    "spine-dup-a",
    files={
        "spine_dup_a.py": """
import spine

class Plugin:
    @spine.hookimpl
    def register_sources(self, register):
        register(spine.SourceSpec("dup", "spine_dup_a:Plugin"))
        register(spine.SourceSpec("only_a", "spine_dup_a:Plugin"))

PLUGIN = Plugin()
"""
    },
    entry_points={"dup_a": "spine_dup_a:PLUGIN"},
)

DUPLICATE_B = Dist(
    "spine-dup-b",
    files={
        "spine_dup_b.py": """
import spine

@spine.hookimpl
def register_sources(register):
    register(spine.SourceSpec("dup", "spine_dup_b:register_sources"))
"""
    },
    entry_points={"dup_b": "spine_dup_b"},
)

BROKEN = [IMPORT_ERROR, RAISES, MISSPELLED, FUTURE, DUPLICATE_A, DUPLICATE_B]
ALL = [GOOD, *BROKEN]
