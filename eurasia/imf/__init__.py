"""IMF SDMX 2.1: Direct Investment Positions by counterpart (dataflow IMF.STA,DIP)."""
