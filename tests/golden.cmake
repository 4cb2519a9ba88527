# Golden tests: every testdata/golden/NAME.sql (NAME.schema.sql files are its --schema, not a
# case) is linted and diffed with NAME.txt and NAME.json. DBADVISE_UPDATE_GOLDEN=1 in the
# environment of ctest rewrites the expected files.
file(GLOB dbadvise_golden_inputs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/testdata/golden/*.sql)
list(FILTER dbadvise_golden_inputs EXCLUDE REGEX "\\.schema\\.sql$")
foreach(input IN LISTS dbadvise_golden_inputs)
  get_filename_component(name ${input} NAME_WE)
  add_test(NAME golden.${name}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/golden/golden.sh $<TARGET_FILE:dbadvise>
                   ${PROJECT_SOURCE_DIR}/testdata/golden ${name})
  set_tests_properties(golden.${name} PROPERTIES LABELS golden)
endforeach()

# Golden tests of `dbadvise explain` text and Markdown output on captured plans: each
# testdata/golden/explain/NAME.txt is the report of testdata/plans/NAME.json (or .txt).
file(GLOB dbadvise_explain_goldens CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/testdata/golden/explain/*.txt)
foreach(expected IN LISTS dbadvise_explain_goldens)
  get_filename_component(name ${expected} NAME_WE)
  if(EXISTS ${PROJECT_SOURCE_DIR}/testdata/plans/${name}.json)
    set(plan ${name}.json)
  else()
    set(plan ${name}.txt)
  endif()
  add_test(NAME golden.explain.${name}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/golden/explain_golden.sh $<TARGET_FILE:dbadvise>
                   ${PROJECT_SOURCE_DIR}/testdata/plans ${PROJECT_SOURCE_DIR}/testdata/golden/explain
                   ${plan})
  set_tests_properties(golden.explain.${name} PROPERTIES LABELS golden)
endforeach()

# analyze on snapshots (no database): every testdata/snapshots/golden/NAME.args holds the
# arguments of `dbadvise analyze`, diffed with NAME.txt and NAME.json next to it.
file(GLOB dbadvise_analyze_golden_cases CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/testdata/snapshots/golden/*.args)
foreach(case IN LISTS dbadvise_analyze_golden_cases)
  get_filename_component(name ${case} NAME_WE)
  add_test(NAME golden.analyze.${name}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/golden/analyze_golden.sh $<TARGET_FILE:dbadvise>
                   ${PROJECT_SOURCE_DIR}/testdata/snapshots ${name})
  set_tests_properties(golden.analyze.${name} PROPERTIES LABELS golden)
endforeach()
