"""Load a model: one-click demos, or upload a model file and a dataset."""

import streamlit as st

from dashboard import actions, cache, state
from dashboard.preload import request_chart_library
from dashboard.settings_views import settings_editor
from dashboard.text import escape_markdown as md
from dashboard.views import safe_formats_note, show_error
from explainers.errors import ExplainerError
from explainers.model_formats import MODEL_FILE_TYPES
from sample_models import DEMOS

NONE = "(none)"


def show_loaded() -> None:
    """What this session has loaded: a failed upload leaves it in place."""
    loaded = state.workspace()
    if loaded is not None:
        st.success(
            f"Loaded: **{md(loaded.title)}** ({md(loaded.model.name)}, {md(loaded.data.name)})",
            icon=":material/check_circle:",
        )


st.title("Load a model")
st.write("Start with a bundled demo, or upload your own trained model and a dataset.")

demo_columns = st.columns(len(DEMOS))
for column, demo in zip(demo_columns, DEMOS.values(), strict=True):
    with column, st.container(border=True):
        st.markdown(f"**{demo.title}**  \n{demo.description}")
        if st.button("Open this demo", key=state.demo_button_key(demo.key), type="primary"):
            try:
                actions.activate(actions.demo_workspace(demo.key))
                st.switch_page("screens/overview.py")
            except ExplainerError as error:
                show_error(error)

st.subheader("Upload your own")
safe_formats_note()
left, right = st.columns(2)
model_file = left.file_uploader(
    "Model file", type=list(MODEL_FILE_TYPES), key="upload_model",
    help="A fitted scikit-learn, xgboost, lightgbm or catboost model or Pipeline. Files that "
    "are data (skops, xgboost .ubj/.json, lightgbm .txt, catboost .cbm) are safest; pickles "
    "are checked before loading: only known model classes, in the forms they are saved in.",
)  # fmt: skip
data_file = right.file_uploader(
    "Dataset", type=["csv", "parquet"], key="upload_data",
    help="One row per case, with the columns the model was trained on.",
)  # fmt: skip

if model_file is not None and data_file is not None:
    request_chart_library()  # charts come next; load them while the form is filled in
    try:
        model_upload = actions.uploaded(
            model_file.name, model_file.getvalue(), scope=actions.session_scope()
        )
        data_upload = actions.uploaded(data_file.name, data_file.getvalue())
        bundle = cache.model_of(model_upload)
        frame = cache.dataset(data_upload)
        columns = list(frame.columns)
    except ExplainerError as error:
        show_error(error)
        show_loaded()
        st.stop()
    guess = actions.guess_target(columns, bundle.feature_names)
    options = [NONE, *columns]
    a, b = st.columns(2)
    target = a.selectbox(
        "Target column (optional)", options, index=options.index(guess) if guess else 0,
        help="The true outcome, if the dataset has it. Needed for performance and fairness.",
    )  # fmt: skip
    labels = bundle.output_labels if bundle.task == "multiclass" else ()
    output_label = (
        b.selectbox("Class to explain", labels, index=bundle.default_output) if labels else None
    )
    target = None if target == NONE else target
    settings = settings_editor(bundle, frame, target=target, model_name=model_upload.name)
    if settings is not None and bundle.task == "binary":
        output_label = settings.favourable  # a binary model is explained for its good outcome
    if settings is not None and st.button("Load model and data", type="primary"):
        ws = state.Workspace(
            model=model_upload, data=data_upload, target=target, output_label=output_label,
            title=f"{bundle.name}", settings=settings,
        )  # fmt: skip
        try:
            actions.activate(ws)
            st.switch_page("screens/overview.py")
        except ExplainerError as error:
            show_error(error)

show_loaded()
