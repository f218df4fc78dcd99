"""The six steps of the app, one page each: Start, Map, Check, Plan, Run and Results.

Each step saves what it decides in the study's folder (``study.toml`` and ``app-state.json``),
so a user can leave and come back. The pages call the public API only (``load_study``,
``validate_data``, ``analyze`` and ``Results.write``), exactly as the command line does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from patalliance.app import draft
from patalliance.app import workspace as ws
from patalliance.app.security import Sessions, checked_form, session_of

TEMPLATES = Path(__file__).parent / "templates"
DOWNLOADS = ("results.json", "scores.csv", "tables/tables.xlsx", "tables/tables.docx")


@dataclass
class RunState:
    """Progress of one analysis run, read by the Run page while it polls."""

    messages: list[str] = field(default_factory=list)
    status: str = "running"
    error: str = ""


@dataclass
class Pages:
    workspace: ws.Workspace
    sessions: Sessions
    max_upload_mb: int
    templates: Jinja2Templates = field(default_factory=lambda: _templates())
    runs: dict[str, RunState] = field(default_factory=dict)

    # -- helpers -----------------------------------------------------------------------------
    def render(self, request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
        ctx.setdefault("errors", [])
        ctx["csrf"] = self.sessions.csrf(session_of(request))
        ctx["steps"] = ws.STEPS
        ctx.setdefault("current", name.removesuffix(".html"))
        ctx["max_upload_mb"] = self.max_upload_mb
        study = ctx.get("study")
        if study:
            ctx["done"] = ws.read_state(self.workspace.folder(study)).get("done", [])
        return self.templates.TemplateResponse(request, name, ctx, status_code=status)

    def study_of(self, request: Request) -> tuple[str, Path]:
        name = request.path_params["study"]
        folder = self.workspace.folder(name)
        if not (folder / "study.toml").is_file():
            raise ws.UnsafeNameError(f"There is no study {name!r} in the workspace.")
        return name, folder

    # -- 1 Start -----------------------------------------------------------------------------
    async def start(self, request: Request) -> Response:
        studies = [(s, ws.next_step(self.workspace.folder(s))) for s in self.workspace.studies()]
        return self.render(request, "start.html", studies=studies, workspace=self.workspace.root)

    async def start_error(self, request: Request, message: str) -> Response:
        studies = [(s, ws.next_step(self.workspace.folder(s))) for s in self.workspace.studies()]
        return self.render(
            request,
            "start.html",
            400,
            studies=studies,
            workspace=self.workspace.root,
            errors=[message],
        )

    async def new_demo(self, request: Request) -> Response:
        await checked_form(request, self.sessions)
        folder = self.workspace.new_folder("demo")
        ws.copy_demo_into(folder)
        ws.mark_done(folder, "start", source="demo")
        return RedirectResponse(f"/s/{folder.name}/map", status_code=303)

    async def new_tidy(self, request: Request) -> Response:
        form = await checked_form(request, self.sessions)
        files = {k: form.get(k) for k in ("responses", "participants")}
        if not all(isinstance(f, UploadFile) and f.filename for f in files.values()):
            return await self.start_error(
                request, "Choose both a responses and a participants file."
            )
        names = [ws.safe_file_name(f.filename or "") for f in files.values()]  # type: ignore[union-attr]
        if names[0] == names[1]:
            return await self.start_error(request, "The two files need different names.")
        folder = self.workspace.new_folder(str(form.get("name") or "study"))
        for name, upload in zip(names, files.values(), strict=True):
            self.workspace.save_upload(folder.name, name, await upload.read())  # type: ignore[union-attr]
        try:
            draft.draft_from_tidy(
                folder,
                title=str(form.get("title") or folder.name),
                responses=names[0],
                participants=names[1],
            )
        except (UnicodeDecodeError, OSError) as exc:
            return await self.start_error(request, f"Could not read the CSV files: {exc}")
        ws.mark_done(folder, "start", source="tidy")
        return RedirectResponse(f"/s/{folder.name}/map", status_code=303)

    async def new_toml(self, request: Request) -> Response:
        form = await checked_form(request, self.sessions)
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        names = [ws.safe_file_name(f.filename or "") for f in uploads]
        if "study.toml" not in names:
            return await self.start_error(request, "Include the study file, named study.toml.")
        folder = self.workspace.new_folder(str(form.get("name") or "study"))
        for name, upload in zip(names, uploads, strict=True):
            self.workspace.save_upload(folder.name, name, await upload.read())
        ws.mark_done(folder, "start", source="study.toml")
        return RedirectResponse(f"/s/{folder.name}/map", status_code=303)

    async def new_redcap(self, request: Request) -> Response:
        """A study drafted from a REDCap data dictionary and records export, as
        ``patalliance init --from-redcap`` drafts it."""
        from patalliance.errors import PatallianceError
        from patalliance.io.redcap import draft_study

        form = await checked_form(request, self.sessions)
        files = [form.get(k) for k in ("dictionary", "records")]
        if not all(isinstance(f, UploadFile) and f.filename for f in files):
            return await self.start_error(request, "Choose both a data dictionary and records.")
        uploads = [f for f in files if isinstance(f, UploadFile)]
        names = [ws.safe_file_name(f.filename or "") for f in uploads]
        if names[0] == names[1]:
            return await self.start_error(request, "The two files need different names.")
        folder = self.workspace.new_folder(str(form.get("name") or "study"))
        for name, upload in zip(names, uploads, strict=True):
            self.workspace.save_upload(folder.name, name, await upload.read())
        try:
            drafted = draft_study(folder / names[0], records=folder / names[1])
        except PatallianceError as exc:
            return await self.start_error(request, str(exc))
        (folder / "study.toml").write_text(drafted.text, encoding="utf-8")
        notes = [f"inferred: {n}" for n in drafted.inferred]
        notes += [f"not inferred: {n}" for n in drafted.not_inferred]
        ws.mark_done(folder, "start", source="redcap", notes=notes)
        return RedirectResponse(f"/s/{folder.name}/map", status_code=303)

    # -- 2 Map -------------------------------------------------------------------------------
    async def map_page(self, request: Request) -> Response:
        study, folder = self.study_of(request)
        notes = ws.read_state(folder).get("notes", [])
        return self.render(request, "map.html", study=study, doc=ws.read_toml(folder), notes=notes)

    async def map_save(self, request: Request) -> Response:
        study, folder = self.study_of(request)
        form = await checked_form(request, self.sessions)
        doc = ws.read_toml(folder)
        apply_map(doc, form)
        errors = save_study(folder, doc)
        if errors:
            return self.render(request, "map.html", 400, study=study, doc=doc, errors=errors)
        ws.mark_done(folder, "map")
        return RedirectResponse(f"/s/{study}/check", status_code=303)

    # -- 3 Check -----------------------------------------------------------------------------
    async def check(self, request: Request) -> Response:
        import patalliance as pa

        study, folder = self.study_of(request)
        try:
            report = pa.validate_data(folder / "study.toml")
        except pa.PatallianceError as exc:
            return self.render(request, "check.html", study=study, report=None, errors=[str(exc)])
        if report.ok:
            ws.mark_done(folder, "check")
        return self.render(request, "check.html", study=study, report=report)

    # -- 4 Plan ------------------------------------------------------------------------------
    async def plan_page(self, request: Request) -> Response:
        study, folder = self.study_of(request)
        doc = ws.read_toml(folder)
        analysis = doc.setdefault("analysis", {})
        if not analysis.get("correlations") and not analysis.get("change"):
            analysis.update(draft.default_plan(doc))
        return self.render(
            request, "plan.html", study=study, doc=doc, variables=draft.variables(doc)
        )

    async def plan_save(self, request: Request) -> Response:
        study, folder = self.study_of(request)
        form = await checked_form(request, self.sessions)
        doc = ws.read_toml(folder)
        apply_plan(doc, form)
        errors = save_study(folder, doc)
        if errors:
            return self.render(
                request,
                "plan.html",
                400,
                study=study,
                doc=doc,
                variables=draft.variables(doc),
                errors=errors,
            )
        ws.mark_done(folder, "plan")
        return RedirectResponse(f"/s/{study}/run", status_code=303)

    # -- 5 Run -------------------------------------------------------------------------------
    async def run_page(self, request: Request) -> Response:
        study, _ = self.study_of(request)
        return self.render(request, "run.html", study=study, run=self.runs.get(study))

    async def run_start(self, request: Request) -> Response:
        study, folder = self.study_of(request)
        await checked_form(request, self.sessions)
        current = self.runs.get(study)
        if current is None or current.status != "running":
            state = self.runs[study] = RunState()
            thread = threading.Thread(
                target=run_analysis,
                args=(folder, self.workspace.output(study), state),
                daemon=True,
            )
            thread.start()
        if request.headers.get("hx-request"):
            return await self.run_status(request)
        return RedirectResponse(f"/s/{study}/run", status_code=303)

    async def run_status(self, request: Request) -> Response:
        study, _ = self.study_of(request)
        return self.render(request, "run_status.html", study=study, run=self.runs.get(study))

    # -- 6 Results ---------------------------------------------------------------------------
    async def results(self, request: Request) -> Response:
        study, _ = self.study_of(request)
        out = self.workspace.output(study)
        files = [f for f in DOWNLOADS if (out / f).is_file()]
        has_report = (out / "report.html").is_file()
        return self.render(request, "results.html", study=study, files=files, has_report=has_report)

    async def output_file(self, request: Request) -> Response:
        study, folder = self.study_of(request)
        relative = request.path_params["path"]
        if relative == "study.toml":
            return FileResponse(folder / "study.toml", filename="study.toml")
        path = self.workspace.output_file(study, relative)
        if not path.is_file():
            return Response("Not found.", status_code=404, media_type="text/plain")
        inline = path.suffix in {".html", ".png", ".svg"}
        return FileResponse(path, filename=None if inline else path.name)


def _templates() -> Jinja2Templates:
    """The page templates, every one autoescaped (not only those named ``*.html``)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    return Jinja2Templates(env=env)


def run_analysis(folder: Path, out: Path, state: RunState) -> None:
    """``patalliance.analyze`` and ``Results.write`` into ``out``, reporting progress."""
    import patalliance as pa

    try:
        state.messages.append("reading and validating the data")
        results = pa.analyze(folder / "study.toml")
        results.write(out, progress=state.messages.append)
        state.messages.append("done")
        ws.mark_done(folder, "run")
        state.status = "done"
    except Exception as exc:  # shown to the user on the Run page; the server keeps serving
        state.error = str(exc)
        state.status = "failed"


def save_study(folder: Path, doc: dict[str, Any]) -> list[str]:
    """Write ``doc`` as the study file and check it with ``load_study``; the problems, if any.

    The previous file is kept when the new one does not load."""
    import patalliance as pa

    path = folder / "study.toml"
    previous = path.read_text(encoding="utf-8")
    path.write_text(draft.dump_toml(doc), encoding="utf-8")
    try:
        pa.load_study(path)
    except pa.PatallianceError as exc:
        path.write_text(previous, encoding="utf-8")
        return [str(exc)]
    return []


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.replace("\n", ",").split(",") if t.strip()]


def apply_map(doc: dict[str, Any], form: FormData) -> None:
    """The Map form's arm labels, timepoint labels and measures, into the study document."""
    for arm_id, arm in doc.get("arms", {}).items():
        arm["label"] = str(form.get(f"arm.{arm_id}.label", arm.get("label", arm_id)))
    for tp in doc.get("timepoints", []):
        tp["label"] = str(form.get(f"tp.{tp['id']}.label", tp.get("label", tp["id"])))
    for name, measure in doc.get("measures", {}).items():
        measure["label"] = str(form.get(f"m.{name}.label", measure.get("label", "")))
        measure["timepoints"] = _split(str(form.get(f"m.{name}.timepoints", "")))
        for key in ("baseline", "peak"):
            value = str(form.get(f"m.{name}.{key}", "")).strip()
            if value:
                measure[key] = value
            else:
                measure.pop(key, None)


def apply_plan(doc: dict[str, Any], form: FormData) -> None:
    """The Plan form's options and correlation families, into the study document."""
    analysis = doc.setdefault("analysis", {})
    for key in ("correlation", "adjust"):
        analysis[key] = str(form.get(key, analysis.get(key, "")))
    try:
        analysis["confidence_level"] = float(str(form.get("confidence_level", "0.95")))
    except ValueError:
        analysis["confidence_level"] = str(form.get("confidence_level"))
    for key in ("sensitivity", "bayes_factors"):
        analysis[key] = form.get(key) == "on"
    families = []
    count = str(form.get("n_families", "0"))
    for i in range(min(int(count), 100) if count.isdigit() else 0):
        x = [str(v) for v in form.getlist(f"fam{i}.x")]
        y = [str(v) for v in form.getlist(f"fam{i}.y")]
        name = str(form.get(f"fam{i}.family", f"family_{i + 1}")).strip()
        if x and y and form.get(f"fam{i}.keep") == "on":
            families.append({"family": name, "x": x, "y": y})
    analysis["correlations"] = families
    change_from, change_to = form.get("change_from"), form.get("change_to")
    if change_from and change_to:
        analysis["change"] = [{"variable_from": str(change_from), "variable_to": str(change_to)}]
    else:
        analysis["change"] = []
