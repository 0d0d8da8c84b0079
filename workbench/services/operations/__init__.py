"""Operating the workbench: the operations dashboard and the optional tools of each host."""
