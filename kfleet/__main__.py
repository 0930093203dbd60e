from kfleet.cli import main

main()
