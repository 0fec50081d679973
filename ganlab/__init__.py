"""ganlab: an interactive GAN laboratory (engine, headless CLI and Streamlit app)."""

__version__ = "0.1.0"
