// placeholder: filled by the work on issue 2
