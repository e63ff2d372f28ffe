"""The one plot style, number formatter and table builder of every figure, report and table."""
