from workbench import create_app

app = create_app()
