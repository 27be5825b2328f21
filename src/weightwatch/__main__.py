from weightwatch.cli import main

main()
